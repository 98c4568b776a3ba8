import net from 'node:net'

/**
 * A TCP proxy in front of PostgreSQL that can stop passing the server's answers back, as a host that froze or a
 * network cut just then would: `cut(chunk)` is asked of every chunk the client sends, and from the first it says
 * yes to, that connection's answers are dropped (`forward` decides whether that chunk still reaches the server).
 */
export async function cuttingProxy(databaseUrl: string, options: { cut: (sent: string) => boolean; forward: boolean }) {
  const target = new URL(databaseUrl)
  const sockets = new Set<net.Socket>()
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 5432), target.hostname)
    sockets.add(client)
    sockets.add(upstream)
    let cut = false
    client.on('data', (chunk) => {
      if (!cut && options.cut(chunk.toString('latin1').toLowerCase())) cut = true
      if (!cut || options.forward) upstream.write(chunk)
    })
    upstream.on('data', (chunk) => {
      if (!cut) client.write(chunk)
    })
    const end = () => {
      client.destroy()
      upstream.destroy()
    }
    for (const s of [client, upstream]) {
      s.on('error', end)
      s.on('close', end)
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = new URL(databaseUrl)
  url.hostname = '127.0.0.1'
  url.port = String((server.address() as net.AddressInfo).port)
  return {
    url: url.toString(),
    close() {
      for (const s of sockets) s.destroy()
      server.close()
    }
  }
}

import { defineConfig } from 'drizzle-kit'

// Migrations are generated from src/db/schema.ts and applied at start-up by src/db/prepare.ts,
// identically on real PostgreSQL and on the embedded PGlite.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/schema.ts',
  out: './migrations'
})

-- Custom migration, first in the journal: drizzle-kit does not emit CREATE EXTENSION, and the
-- schema migration after it needs the `vector` type.
CREATE EXTENSION IF NOT EXISTS vector;

-- Custom migration: keep centroids in the table row instead of TOAST. A 768-d vector (3 KB) is over
-- the 2 KB TOAST threshold, so by default the heap holds only pointers and the planner, costing a
-- sequential scan by heap pages, prefers it to the HNSW index from about 10k adapters on (measured:
-- 27 ms seq scan + sort chosen over a 1 ms index scan). MAIN still moves a value out of line when a
-- row cannot fit a page (libraries above ~2,000 dimensions, which have no HNSW index anyway).
ALTER TABLE "adapters" ALTER COLUMN "centroid" SET STORAGE MAIN;

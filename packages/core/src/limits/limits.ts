/**
 * Every size and count a request controls, bounded once here and imported by whoever checks it: the
 * API's schemas, the pipeline, the transport and the endpoint read the same numbers, so a value
 * accepted at the edge is never refused (or worse, allocated) further in.
 */
export const LIMITS = {
  /** Nearest adapters fused per request: the paper fuses 5; more is no longer "the nearest few". */
  k: 64,
  /** Adapters baked into one library bank (bank mode): each adds its factors to every targeted module of a resident session. */
  bankAdapters: 4096,
  /**
   * Rank of an SVD fusion: CAT-Seg-L adapters are rank 8, so `k` of them concatenate to rank 512 and an
   * SVD rank above the inputs' summed rank only adds zero factors (each module also caps it at min(in, out)).
   */
  svdRank: 512,
  /**
   * Softmax temperature over similarities (the paper's is 0.05): from 10⁻³ (as good as one-hot over cosine
   * similarities) to 10³ (as good as uniform); softmax stays finite across it.
   */
  temperature: { min: 1e-3, max: 1e3 },
  /** HNSW candidate list (ef_search): pgvector's own maximum. */
  efSearch: 1000,
  /** Adapters excluded by id or name in one request (leave-one-out over a large library). */
  exclude: 1000,
  /** An adapter name (the registry's 1-128 characters; an id is a 36-character UUID). */
  adapterName: 128,
  /** A library's name. */
  libraryName: 128,
  /** A model id a library records (base segmentation model, embedding model): a Hugging Face repo id with room. */
  modelId: 256,
  /** LoRA-targetable modules of one segmenter (a model pack's list): a SemLA CAT-Seg-L adapter targets 214. */
  loraModules: 4096,
  /** A module's dotted name (`backbone.layers.0.self_attn.q_proj`): deep torch trees stay under a few hundred characters. */
  moduleName: 512,
  /** Classes in one segmentation: the mask is 8-bit and 255 is kept for "ignore" in label maps. */
  classes: 255,
  /** A class name, in characters: CLIP's text encoder reads 77 tokens, so a longer name is truncated anyway. */
  className: 200,
  /** Embedding (centroid) dimension: pgvector's `vector` holds at most 16,000. */
  dimension: 16_000,
  /**
   * Sample images sent with one adapter to compute its centroid: each is decoded and embedded in the
   * request (tens of ms each on CPU), so a body of tiny images must not become minutes of work; a
   * centroid over more images is computed beforehand (`semla centroid`) and sent as a file.
   */
  sampleImages: 64,
  /** Sample images counted for a centroid: a PostgreSQL integer. */
  sampleCount: 2_147_483_647,
  /** Out-of-library events kept per library (the newest), for coverage gaps; also the most a gaps request clusters. */
  coverageEvents: 10_000,
  /** Coverage gaps one answer lists. */
  coverageGaps: 100,
  /** A declared sample spread (distance; cosine distances are at most 2, euclidean ones between unit vectors too). */
  spread: 1e6,
  /** An image's width × height: above any camera's, below what decoding into memory can afford. */
  imagePixels: 40_000_000,
  /** An image's width or height: 16384 is WebP's (and most GPUs' texture) maximum, far above any photo. */
  imageSide: 16_384,
  /** Long side over short side: resizing the short side to the encoder's 224 makes the long one ≤ 224 × this. */
  imageAspectRatio: 32,
  /** An image sent by presigned upload: far above any camera's, well below what would exhaust memory. */
  imageUploadBytes: 64 * 1024 * 1024,
  /** Adapter weights sent by presigned upload, read whole at registration: a rank-64 CAT-Seg-L adapter is tens of MB. */
  adapterUploadBytes: 1024 * 1024 * 1024,
  /**
   * A fused adapter's weight given by the caller (POST /v1/fuse): PEFT's add_weighted_adapter takes any
   * finite weight, negative ones too (task negation); a weight of hundreds is already a mistake.
   */
  fusionWeight: 1000,
  /**
   * A fused adapter answered by POST /v1/fuse (its zip): a rank-40 CAT-Seg-L fusion (five rank-8 adapters,
   * cat) is some 90 MB, a rank-512 cat of 64 some 1.2 GB; the largest an answer may hold in memory.
   */
  fusedAdapterBytes: 1024 * 1024 * 1024,
  /** A caller's request id (X-Request-Id), carried to the endpoint: a UUID or a tracing token. */
  requestId: 128,
  /** Adapters per page of a listing. */
  listPage: 500,
  /** Bytes of one adapter_config.json: PEFT writes a few KB, a rank_pattern naming every module some 100 KB. */
  configBytes: 256 * 1024,
  /** Nesting depth of adapter_config.json: PEFT's nest 3 deep; 10,000 deep overflows the stack when serialised. */
  configDepth: 32,
  /** Characters of one PEFT pattern (a target_modules regex, a rank_pattern or alpha_pattern key). */
  patternLength: 1024,
  /** Keys of one rank_pattern or alpha_pattern: at most one per module of a large model. */
  patternKeys: 1024,
  /**
   * RE2 program size (instructions) of all of a config's patterns together, which compile time
   * grows with (a{1000} alone is 1,002; a dozen typical patterns a few hundred).
   */
  patternProgram: 20_000,
  /**
   * Module-name characters × program size an adapter's patterns may be matched over: RE2 matches in
   * time linear in both, at worst some 100 ns per unit here (2·10⁷ ≈ 2 s); a SemLA CAT-Seg-L
   * adapter (214 modules) with a regex target_modules and a few pattern keys needs 3·10⁶.
   */
  patternWork: 20_000_000,
  /**
   * Path and query string of a request, in bytes: the API's queries carry a few ids, a name and a
   * cursor (well under 1 KiB); 8 KiB is the usual proxy limit, and half of Node's 16 KiB for the
   * request line and headers together, so a long URL gets the API's own 414 wherever it runs.
   */
  urlBytes: 8 * 1024,
  /** Images of one asynchronous job (POST /v1/jobs: a list, or a folder of the bucket); more go in more jobs. */
  jobImages: 100,
  /** A job's client-supplied idempotency key (Idempotency-Key): a UUID or a caller's token. */
  idempotencyKey: 255,
  /** A job's webhook URL. */
  webhookUrl: 2048,
} as const;

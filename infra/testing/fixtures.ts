/** Deploy-time settings of the mock runs: what `sst deploy` would be given. */
export const ENDPOINT_IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/semla-endpoint:2026-12-03";
export const API_KEY = "semla_mock-bootstrap-key";
/** sha256 hex of API_KEY (`printf %s semla_mock-bootstrap-key | sha256sum`). */
export const API_KEY_SHA256 = "5515a342846ada9536ff3af0141764fe3dfa551f3cffbecc8389b38761a54f3b";

/** The jobs' webhook secret derived from API_KEY (Python: base64.urlsafe_b64encode(hmac.new(API_KEY, b"semla-jobs-webhook-secret", sha256).digest()) without "="). */
export const JOBS_WEBHOOK_SECRET = "JaG6MB3YldtZxR5_bSEGlXEgmYq01ugljaiieNxpnAE";
export const DEPLOY_ENV = { SEMLA_ENDPOINT_IMAGE: ENDPOINT_IMAGE, SST_SECRET_ApiKey: API_KEY } as const;

/** Deploy-time settings of the mock runs: what `sst deploy` would be given. */
export const ENDPOINT_IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/semla-endpoint:2026-12-03";
export const API_KEY = "semla_mock-bootstrap-key";
/** sha256 hex of API_KEY (`printf %s semla_mock-bootstrap-key | sha256sum`). */
export const API_KEY_SHA256 = "5515a342846ada9536ff3af0141764fe3dfa551f3cffbecc8389b38761a54f3b";

export const DEPLOY_ENV = { SEMLA_ENDPOINT_IMAGE: ENDPOINT_IMAGE, SST_SECRET_ApiKey: API_KEY } as const;

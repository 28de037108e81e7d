// Test support: SageMaker Runtime's answer to InvokeEndpoint while the endpoint's inference component
// has no copies (scaled to zero), for the scripted server here and the endpoint's SageMaker front.

/**
 * The message, word for word, as the AWS Machine Learning Blog shows it ("Unlock cost savings with
 * the new scale down to zero feature in SageMaker Inference", 2024-12-02, "Test the solution"):
 * `An error occurred (ValidationError) when calling the InvokeEndpoint operation: <this message>`.
 */
export const SAGEMAKER_NO_CAPACITY_MESSAGE =
  "Inference Component has no capacity to process this request. ApplicationAutoScaling may be in-progress (if configured) or try to increase the capacity by invoking UpdateInferenceComponentRuntimeConfig API.";

/**
 * The HTTP reply: 400, the error type in `x-amzn-ErrorType` (AWS's `Code:namespace` form; the SDK keeps
 * the part before the colon) and a JSON body with the message (the SDK reads `message` or `Message`).
 */
export function noCapacityReply(): { status: number; headers: Record<string, string>; body: string } {
  return {
    status: 400,
    headers: {
      "content-type": "application/json",
      "x-amzn-errortype": "ValidationError:http://internal.amazon.com/coral/com.amazon.coral.validate/",
      "x-amzn-requestid": "00000000-0000-4000-8000-000000000000",
    },
    body: JSON.stringify({ message: SAGEMAKER_NO_CAPACITY_MESSAGE }),
  };
}

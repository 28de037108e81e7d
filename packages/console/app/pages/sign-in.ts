import { errorLine } from "@semla/console/view";
import { h } from "../dom.js";
import { apiClient, storeKey } from "../session.js";

/** Sign in with an API key: checked by listing the tenant's libraries; a refused key shows the API's error. */
export function signInPage(done: () => void): HTMLElement {
  const input = h("input", { id: "api-key", type: "password", autocomplete: "off", required: true, placeholder: "semla_…" });
  const error = h("p", { id: "sign-in-error", role: "alert", class: "error" });
  const form = h(
    "form",
    {
      onsubmit: async (event: Event) => {
        event.preventDefault();
        error.textContent = "";
        const key = input.value.trim();
        const { error: refused, response } = await apiClient(key).GET("/v1/libraries");
        if (!response.ok) {
          error.textContent = errorLine(refused, response.status);
          return;
        }
        storeKey(key);
        done();
      },
    },
    h("label", { for: "api-key" }, "API key"),
    input,
    h("button", { type: "submit" }, "Sign in"),
    error,
  );
  return h("main", { id: "sign-in" }, h("h1", {}, "SemLA Serve console"), h("p", {}, "The key is kept in this tab only (sessionStorage)."), form);
}

import type { Client } from "@semla/client";
import { errorLine } from "@semla/console/view";
import { h, show } from "../dom.js";
import { type Library, librarySelect } from "./library-select.js";

/** Upload an adapter: config, weights and a centroid or sample images, as multipart; the service's validation errors shown as they are. */
export async function uploadPage(main: HTMLElement, api: Client): Promise<void> {
  let library: Library | undefined;
  const name = h("input", { id: "adapter-name", type: "text", required: true, placeholder: "fog+night" });
  const config = h("input", { id: "config", type: "file", accept: ".json,application/json", required: true });
  const weights = h("input", { id: "weights", type: "file", accept: ".safetensors", required: true });
  const centroid = h("input", { id: "centroid", type: "file", accept: ".npy,.npz,.json" });
  const images = h("input", { id: "images", type: "file", accept: "image/*", multiple: true });
  const outcome = h("div", { id: "upload-outcome", "aria-live": "polite" });
  const form = h(
    "form",
    {
      class: "controls",
      onsubmit: async (event: Event) => {
        event.preventDefault();
        if (!library) return;
        const body = new FormData();
        body.set("libraryId", library.id);
        body.set("name", name.value.trim());
        body.set("config", await (config.files?.[0]?.text() ?? Promise.resolve("")));
        if (weights.files?.[0]) body.set("weights", weights.files[0]);
        if (centroid.files?.[0]) body.set("centroid", centroid.files[0]);
        for (const image of images.files ?? []) body.append("images", image);
        show(outcome, h("p", { role: "status" }, "Uploading…"));
        const { data, error, response } = await api.POST("/v1/adapters", {
          body: {} as never,
          bodySerializer: () => body,
        });
        if (!data) {
          const details = (error as { error?: { details?: unknown } } | undefined)?.error?.details;
          show(outcome, h("p", { role: "alert", class: "error" }, errorLine(error, response.status)), details ? h("pre", { class: "details" }, JSON.stringify(details, null, 2)) : null);
          return;
        }
        const a = data.adapter;
        show(outcome, h("p", { role: "status", class: "ok" }, `${data.created ? "Registered" : "Already registered"}: ${a.name} v${a.version} (${a.id}), ${a.status}.`));
      },
    },
    h("label", {}, "Name ", name),
    h("label", {}, "adapter_config.json ", config),
    h("label", {}, "adapter_model.safetensors ", weights),
    h("label", {}, "Centroid (.npy, .npz, .json) ", centroid),
    h("label", {}, "or sample images ", images),
    h("button", { type: "submit", id: "upload" }, "Upload"),
  );
  show(
    main,
    h("h1", {}, "Upload an adapter"),
    await librarySelect(api, (l) => {
      library = l;
    }),
    form,
    outcome,
  );
}

import type { Client, components } from "@semla/client";
import { errorLine } from "@semla/console/view";
import { h } from "../dom.js";

/** A library as listed (its module shapes are not needed here). */
export type Library = Omit<components["schemas"]["Library"], "moduleShapes">;

/** The tenant's libraries as a select (the last one chosen is kept for the tab), or the API's error. */
export async function librarySelect(api: Client, onChange: (library: Library) => void): Promise<HTMLElement> {
  const { data, error, response } = await api.GET("/v1/libraries");
  if (!data) return h("p", { role: "alert", class: "error" }, errorLine(error, response.status));
  if (data.items.length === 0) return h("p", {}, "No library yet.");
  const chosen = sessionStorage.getItem("semla.library");
  const select = h("select", { id: "library" }, ...data.items.map((l) => h("option", { value: l.id, selected: l.id === chosen }, `${l.name} (${l.id})`)));
  const current = () => data.items.find((l) => l.id === select.value) ?? data.items[0]!;
  select.addEventListener("change", () => {
    sessionStorage.setItem("semla.library", select.value);
    onChange(current());
  });
  queueMicrotask(() => onChange(current()));
  return h("label", { class: "library" }, "Library ", select);
}

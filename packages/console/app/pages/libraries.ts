import type { Client } from "@semla/client";
import { errorLine } from "@semla/console/view";
import { h, show } from "../dom.js";
import { type Library, librarySelect } from "./library-select.js";

const bytes = (n: number): string => (n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`);

/** A library's settings (metric, coverage policy, calibrated radius) and its adapters. */
export async function librariesPage(main: HTMLElement, api: Client): Promise<void> {
  const details = h("section", { id: "library-details" });
  show(main, h("h1", {}, "Libraries"), await librarySelect(api, (library) => void showLibrary(details, api, library)), details);
}

async function showLibrary(section: HTMLElement, api: Client, library: Library): Promise<void> {
  const { data, error, response } = await api.GET("/v1/adapters", { params: { query: { libraryId: library.id, limit: 500 } } });
  const calibration = library.calibration;
  const facts: [string, string][] = [
    ["Base model", library.baseModelId],
    ["Embedding model", `${library.embeddingModelId} (${library.dimension}-d, ${library.metric})`],
    ["Coverage policy", library.coveragePolicy],
    ["Generation", String(library.generation)],
    ["Coverage radius", calibration?.defaultRadius == null ? "not calibrated yet" : `${calibration.defaultRadius.toFixed(4)} (${calibration.basis}, generation ${calibration.generation})`],
  ];
  show(
    section,
    h("dl", { class: "facts" }, ...facts.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])),
    data
      ? h(
          "table",
          { id: "adapters" },
          h("caption", {}, `${data.items.length} adapters`),
          h("thead", {}, h("tr", {}, ...["Name", "Version", "Status", "Rank", "Size", "Spread", "Uploaded"].map((c) => h("th", { scope: "col" }, c)))),
          h(
            "tbody",
            {},
            ...data.items.map((a) =>
              h(
                "tr",
                {},
                h("td", {}, a.name),
                h("td", { class: "num" }, a.version),
                h("td", {}, a.status),
                h("td", { class: "num" }, a.rank),
                h("td", { class: "num" }, bytes(a.byteSize)),
                h("td", { class: "num" }, a.spread === null ? "—" : a.spread.toFixed(4)),
                h("td", {}, h("time", { dateTime: a.createdAt }, new Date(a.createdAt).toLocaleString())),
              ),
            ),
          ),
        )
      : h("p", { role: "alert", class: "error" }, errorLine(error, response.status)),
  );
}

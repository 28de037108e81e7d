import type { Client } from "@semla/client";
import { hex, scaleColour } from "@semla/console/palette";
import { errorLine, HEATMAP_ROWS, heatmapCells } from "@semla/console/view";
import { h, show } from "../dom.js";
import { type Library, librarySelect } from "./library-select.js";

/** The heatmap of the adapters' contributions (the paper's Fig. 3) from GET /v1/stats/contributions, with a colour bar and the values on hover. */
export async function contributionsPage(main: HTMLElement, api: Client): Promise<void> {
  let library: Library | undefined;
  const since = h("input", { id: "since", type: "date" });
  const section = h("section", { id: "heatmap-section" });
  const load = async () => {
    if (!library) return;
    const query = { libraryId: library.id, ...(since.value ? { since: new Date(since.value).toISOString() } : {}) };
    const { data, error, response } = await api.GET("/v1/stats/contributions", { params: { query } });
    if (!data) {
      show(section, h("p", { role: "alert", class: "error" }, errorLine(error, response.status)));
      return;
    }
    const cells = heatmapCells(data);
    const columns = cells[0] ?? [];
    const grid = h(
      "table",
      { id: "heatmap" },
      h("caption", {}, `${data.requests} requests recorded`),
      h("thead", {}, h("tr", {}, h("td", {}), ...columns.map((c) => h("th", { scope: "col", class: "column" }, h("span", {}, c.column))))),
      h(
        "tbody",
        {},
        ...cells.map((row, r) =>
          h(
            "tr",
            {},
            h("th", { scope: "row" }, HEATMAP_ROWS[r]!),
            ...row.map((cell) => {
              const td = h("td", { class: "cell", title: cell.title, tabIndex: 0, "data-value": cell.value, "aria-label": cell.title });
              td.style.background = cell.colour;
              return td;
            }),
          ),
        ),
      ),
    );
    const bar = h("div", { class: "colour-bar", id: "colour-bar", "aria-label": "colour bar from 0 to 1" });
    bar.style.background = `linear-gradient(to right, ${[0, 0.25, 0.5, 0.75, 1].map((v) => hex(scaleColour(v))).join(", ")})`;
    show(section, columns.length === 0 ? h("p", {}, "No adapter has contributed yet.") : grid, h("div", { class: "scale" }, h("span", {}, "0"), bar, h("span", {}, "1")));
  };
  since.addEventListener("change", () => void load());
  show(
    main,
    h("h1", {}, "Contributions"),
    await librarySelect(api, (l) => {
      library = l;
      void load();
    }),
    h("label", {}, "Since ", since),
    section,
  );
}

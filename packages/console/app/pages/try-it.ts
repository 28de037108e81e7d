import type { Client, components } from "@semla/client";
import { classColour } from "@semla/console/palette";
import { curlCommand, errorLine, legendRows, percent, weightBars } from "@semla/console/view";
import { h, show } from "../dom.js";
import { type Library, librarySelect } from "./library-select.js";

type SegmentResult = components["schemas"]["SegmentResult"];
type Mode = "semla" | "uniform" | "zeroshot";

const bytesOfBase64 = (b64: string): Uint8Array<ArrayBuffer> => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));

async function base64Of(file: Blob): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

/** Try it: an image and class names in; the mask over the image with a legend, the adapters' weights, coverage, timings and the curl command out. */
export async function tryItPage(main: HTMLElement, api: Client): Promise<void> {
  let library: Library | undefined;
  let file: File | undefined;
  const models = await api.GET("/v1/models");
  const vocabulary = models.data?.textEncoder?.classes ?? [];
  const fileInput = h("input", { id: "image", type: "file", accept: "image/png,image/jpeg,image/webp" });
  const fileName = h("span", { id: "image-name" }, "no image yet");
  const drop = h("label", { class: "drop", for: "image" }, "Drop an image here, or choose one: ", fileInput, " ", fileName);
  const choose = (f: File | undefined) => {
    file = f;
    fileName.textContent = f ? f.name : "no image yet";
  };
  fileInput.addEventListener("change", () => choose(fileInput.files?.[0]));
  // The demo library's test images, when the server offers them (the embedded default does).
  const demos = await fetch("demo.json")
    .then((r) => (r.ok ? (r.json() as Promise<{ label: string; url: string }[]>) : []))
    .catch(() => []);
  const demo = h("select", { id: "demo" }, h("option", { value: "" }, "—"), ...demos.map((d) => h("option", { value: d.url }, d.label)));
  demo.addEventListener("change", async () => {
    const chosen = demos.find((d) => d.url === demo.value);
    if (!chosen) return;
    const blob = await (await fetch(chosen.url)).blob();
    choose(new File([blob], chosen.label.replace(/\//g, "-"), { type: "image/png" }));
  });
  drop.addEventListener("dragover", (e) => e.preventDefault());
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    choose(e.dataTransfer?.files[0]);
  });
  const classes = h("input", { id: "classes", type: "text", size: 60, value: vocabulary.join(", "), placeholder: "road, sky, car" });
  const mode = h("select", { id: "mode" }, ...(["semla", "uniform", "zeroshot"] as const).map((m) => h("option", { value: m }, m)));
  const k = h("input", { id: "k", type: "number", min: 1, max: 64, value: 5 });
  const temperature = h("input", { id: "temperature", type: "number", min: 0.001, step: 0.001, value: 0.05 });
  const status = h("p", { id: "try-status", role: "status" });
  const result = h("section", { id: "result", "aria-live": "polite" });

  const form = h(
    "form",
    {
      class: "controls",
      onsubmit: async (event: Event) => {
        event.preventDefault();
        if (!library || !file) {
          status.textContent = "Choose a library and an image first.";
          return;
        }
        const classNames = classes.value
          .split(",")
          .map((c) => c.trim())
          .filter((c) => c.length > 0);
        const chosenMode = mode.value as Mode;
        const options = chosenMode === "zeroshot" ? { mode: chosenMode } : { mode: chosenMode, k: Number(k.value), temperature: Number(temperature.value) };
        status.textContent = "Segmenting…";
        const started = performance.now();
        const { data, error, response } = await api.POST("/v1/segment", { body: { libraryId: library.id, image: await base64Of(file), classNames, options } });
        if (!data) {
          status.textContent = "";
          show(result, h("p", { role: "alert", class: "error" }, errorLine(error, response.status)));
          return;
        }
        status.textContent = `Answered in ${Math.round(performance.now() - started)} ms.`;
        await showResult(result, file, data, curlCommand(location.origin, { libraryId: library.id, classNames, options }, file.name));
      },
    },
    drop,
    demos.length > 0 && h("label", {}, "or a demo test image ", demo),
    h("label", {}, "Class names ", classes),
    h("label", {}, "Mode ", mode),
    h("label", {}, "k ", k),
    h("label", {}, "Temperature ", temperature),
    h("button", { type: "submit", id: "segment" }, "Segment"),
  );
  show(
    main,
    h("h1", {}, "Try it"),
    await librarySelect(api, (l) => {
      library = l;
    }),
    form,
    status,
    result,
  );
}

async function showResult(section: HTMLElement, file: File, answer: SegmentResult, curl: string): Promise<void> {
  const { width, height } = answer;
  const picture = h("canvas", { id: "picture", width, height, "aria-label": "the image" });
  const overlay = h("canvas", { id: "overlay", width, height, "aria-label": "the mask" });
  const image = await createImageBitmap(file, { resizeWidth: width, resizeHeight: height });
  picture.getContext("2d")!.drawImage(image, 0, 0);
  // The mask: 8-bit greyscale, pixel value = class index; decoded without colour management.
  const mask = await createImageBitmap(new Blob([bytesOfBase64(answer.mask)], { type: "image/png" }), { colorSpaceConversion: "none", premultiplyAlpha: "none" });
  const scratch = new OffscreenCanvas(width, height).getContext("2d")!;
  scratch.drawImage(mask, 0, 0);
  const indices = scratch.getImageData(0, 0, width, height).data;
  const context = overlay.getContext("2d")!;
  const coloured = context.createImageData(width, height);
  for (let p = 0; p < width * height; p++) {
    const [r, g, b] = classColour(indices[p * 4]!);
    coloured.data.set([r, g, b, 255], p * 4);
  }
  context.putImageData(coloured, 0, 0);
  const opacity = h("input", { id: "opacity", type: "range", min: 0, max: 100, value: 50, "aria-label": "Mask opacity" });
  const setOpacity = () => {
    overlay.style.opacity = String(Number(opacity.value) / 100);
  };
  opacity.addEventListener("input", setOpacity);
  setOpacity();

  const legend = h(
    "table",
    { id: "legend" },
    h("caption", {}, "Legend"),
    h("thead", {}, h("tr", {}, ...["Colour", "Class", "Pixels", "Mean probability"].map((c) => h("th", { scope: "col" }, c)))),
    h(
      "tbody",
      {},
      ...legendRows(answer.scores).map((row) => {
        const swatch = h("span", { class: "swatch", "aria-hidden": "true" });
        swatch.style.background = row.colour;
        return h(
          "tr",
          { "data-class": row.className },
          h("td", {}, swatch, " ", row.colour),
          h("td", { class: "class" }, row.className),
          h("td", { class: "share num" }, row.share),
          h("td", { class: "num" }, row.meanProbability),
        );
      }),
    ),
  );
  const bars = weightBars(answer.contributions);
  const weights = h(
    "section",
    { id: "weights" },
    h("h2", {}, "Adapter weights"),
    bars.length === 0
      ? h("p", {}, "No adapter fused (zero-shot).")
      : h(
          "ul",
          { class: "bars" },
          ...bars.map((bar) => {
            const fill = h("span", { class: "fill" });
            fill.style.width = `${bar.percent}%`;
            return h(
              "li",
              { "data-percent": bar.percent },
              h("span", { class: "label" }, bar.label),
              h("span", { class: "bar" }, fill),
              h("span", { class: "num" }, `${bar.percent.toFixed(1)}% · d ${bar.distance}`),
            );
          }),
        ),
  );
  const c = answer.coverage;
  const coverage = h(
    "p",
    { id: "coverage" },
    c === null
      ? "Coverage: not measured in this mode."
      : `Coverage: ${c.status}${c.score === null ? "" : ` (score ${c.score.toFixed(3)}: distance ÷ radius)`}; policy ${c.policy}${c.fallback ? ", fell back to the base model" : ""}.`,
  );
  const stageRows = [...Object.entries(answer.timings.stages), ...Object.entries(answer.timings.backend).map(([k, v]) => [`backend ${k}`, v] as const)];
  const timings = h(
    "table",
    { id: "timings" },
    h("caption", {}, "Stage timings (ms)"),
    h("tbody", {}, ...stageRows.map(([stage, ms]) => h("tr", {}, h("th", { scope: "row" }, stage), h("td", { class: "num" }, ms.toFixed(1))))),
  );
  const curlText = h("pre", { id: "curl" }, curl);
  const copy = h("button", { type: "button", onclick: () => void navigator.clipboard?.writeText(curl) }, "Copy curl");
  show(
    section,
    h("div", { class: "figure" }, h("div", { class: "stack" }, picture, overlay), h("label", {}, "Mask opacity ", opacity)),
    legend,
    weights,
    coverage,
    h(
      "p",
      {},
      `Mode ${answer.mode}; pixels ${width}×${height}; ${percent(
        answer.scores.reduce((s, x) => s + x.pixelFraction, 0),
        0,
      )} labelled.`,
    ),
    timings,
    h("h2", {}, "The same request"),
    curlText,
    copy,
  );
}

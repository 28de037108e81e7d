import "./style.css";
import { h, show } from "./dom.js";
import { contributionsPage } from "./pages/contributions.js";
import { librariesPage } from "./pages/libraries.js";
import { signInPage } from "./pages/sign-in.js";
import { tryItPage } from "./pages/try-it.js";
import { uploadPage } from "./pages/upload.js";
import { apiClient, forgetKey, storedKey } from "./session.js";

const PAGES = {
  libraries: { title: "Libraries", render: librariesPage },
  try: { title: "Try it", render: tryItPage },
  contributions: { title: "Contributions", render: contributionsPage },
  upload: { title: "Upload", render: uploadPage },
} as const;
type PageName = keyof typeof PAGES;

const root = document.getElementById("app")!;

/** Renders the page the hash names (#libraries, #try, …); the sign-in page while no key is stored. */
function route(): void {
  const key = storedKey();
  if (key === null) {
    show(root, signInPage(route));
    return;
  }
  const name = (location.hash.slice(1) in PAGES ? location.hash.slice(1) : "libraries") as PageName;
  const main = h("main", { id: "page" });
  const nav = h(
    "nav",
    { "aria-label": "Pages" },
    h("strong", {}, "SemLA Serve"),
    ...Object.entries(PAGES).map(([id, page]) => h("a", { href: `#${id}`, "aria-current": id === name ? "page" : undefined }, page.title)),
    h("button", { type: "button", id: "sign-out", onclick: () => (forgetKey(), route()) }, "Sign out"),
  );
  show(root, nav, main);
  document.title = `${PAGES[name].title} · SemLA Serve`;
  void PAGES[name].render(main, apiClient(key));
}

window.addEventListener("hashchange", route);
route();

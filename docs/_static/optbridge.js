/* optbridge: small reading aids that CSS alone cannot give. */
"use strict";

/* Long API names (torch_npu.optim.NpuFusedRMSprop) wrap after their dots, not mid-word:
   insert <wbr> after each dot that sits between two name characters. */
const WRAP_AT_DOTS = [
  ".bd-article h1", ".bd-article h2", ".bd-article h3", ".bd-article h4",
  ".bd-toc-nav a", ".bd-links a", ".prev-next-title", ".breadcrumb-item",
  ".sphx-glr-thumbnail-title", "#search-results ul.search li > a", ".sd-tab-label",
  ".bd-article code.literal",
].join(", ");
// A dot between two parts of a name (not inside a number such as 0.99).
const DOTTED = /([A-Za-z_)\]])\.(?=[A-Za-z_(])/g;
const HAS_DOT = /[A-Za-z_)\]]\.[A-Za-z_(]/;

function addWordBreaks(element) {
  const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
  const texts = [];
  while (walker.nextNode()) if (HAS_DOT.test(walker.currentNode.data)) texts.push(walker.currentNode);
  for (const text of texts) {
    const parts = text.data.replace(DOTTED, "$1.\u0000").split("\u0000");
    const fragment = document.createDocumentFragment();
    parts.forEach((part, i) => {
      if (i) fragment.append(document.createElement("wbr"));
      fragment.append(part);
    });
    text.replaceWith(fragment);
  }
}

/* The language switcher opens the same page in the other language: keep the search query
   (?q=...) and the section (#...) the reader is at. Section ids are the same in both languages. */
function keepQueryAndSection(link) {
  link.addEventListener("click", () => {
    const target = new URL(link.getAttribute("href"), window.location.href);
    target.search = window.location.search;
    target.hash = window.location.hash;
    link.href = target.href;
  });
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll(WRAP_AT_DOTS).forEach(addWordBreaks);
  document.querySelectorAll("a.optbridge-language-switch").forEach(keepQueryAndSection);
});
/* Search results are added after loading: give them the same treatment. */
const results = document.getElementById("search-results");
if (results) {
  new MutationObserver(() => results.querySelectorAll("ul.search li > a").forEach((a) => {
    if (!a.querySelector("wbr")) addWordBreaks(a);
  })).observe(results, { childList: true, subtree: true });
}

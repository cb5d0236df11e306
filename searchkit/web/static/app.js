// searchkit: pages work without this script; it only adds keyboard help.
// "/" puts the cursor in the search box, as on many search pages.
document.addEventListener("keydown", (event) => {
  const box = document.getElementById("q");
  const typing = event.target instanceof HTMLInputElement || event.target instanceof HTMLSelectElement
    || event.target instanceof HTMLTextAreaElement;
  if (event.key === "/" && box && !typing) {
    event.preventDefault();
    box.focus();
    box.select();
  }
});

// Leave empty filters out of the URL, so a bookmarked search reads well.
for (const form of document.querySelectorAll("form.search")) {
  form.addEventListener("submit", () => {
    for (const field of form.querySelectorAll("input, select")) {
      if (field.name && field.value === "" ) field.disabled = true;
      if (field.name === "sort" && field.value === "relevance") field.disabled = true;
    }
  });
}

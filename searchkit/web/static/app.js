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

// Completions of the last word, from /api/complete, offered under the search box.
const box = document.getElementById("q");
const list = document.getElementById("completions");
if (box && list) {
  let pending = null;
  box.addEventListener("input", () => {
    clearTimeout(pending);
    const text = box.value;
    if (!text.trim() || /\s$/.test(text)) return;
    pending = setTimeout(async () => {
      try {
        const answer = await fetch("/api/complete?" + new URLSearchParams({ q: text, limit: "8" }));
        if (!answer.ok) return;
        const options = (await answer.json()).map((c) => {
          const option = document.createElement("option");
          option.value = c.text;
          return option;
        });
        list.replaceChildren(...options);
      } catch (error) {
        // completions are a help, not a need: a failed request changes nothing
      }
    }, 150);
  });
}

// planspor portal: small enhancements over pages that work without script.
// - htmx requests carry the session's CSRF token (header X-CSRF-Token);
// - [data-graph] draws the JSON elements it names with cytoscape.js; in the explorer a click on a
//   node fetches its neighbourhood and adds it (the table on the page says the same in text).
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  var csrf = document.querySelector('meta[name="csrf-token"]');
  document.body.addEventListener("htmx:configRequest", function (event) {
    if (csrf) { event.detail.headers["X-CSRF-Token"] = csrf.getAttribute("content"); }
  });

  var palette = {
    Decision: "#a4161a", Strategy: "#0f3a5f", StrategyItem: "#2f5f8a", StrategyStatus: "#6b7f94",
    Recommendation: "#8a4b08", Prioritisation: "#8a4b08", Ballot: "#b07a3a", PlanNeed: "#22604a",
    Input: "#22604a", Workshop: "#5a3d8a", Participant: "#7a6a9a", Process: "#5a3d8a", Plan: "#0b4f8a",
    Goal: "#1e6b34", Evidence: "#4f4f4f", ExternalInput: "#4f4f4f", KommuneplanAssessment: "#4f4f4f"
  };

  function style() {
    return [
      { selector: "node", style: {
        "label": "data(name)", "font-size": 10, "text-wrap": "wrap", "text-max-width": 120,
        "text-valign": "bottom", "text-margin-y": 4, "color": "#1b1b1b", "width": 18, "height": 18,
        "background-color": function (node) { return palette[node.data("label")] || "#4f4f4f"; } } },
      { selector: "edge", style: {
        "width": 1.5, "line-color": "#8a8f94", "target-arrow-color": "#8a8f94", "target-arrow-shape": "triangle",
        "curve-style": "bezier", "label": "data(label)", "font-size": 8, "color": "#4f4f4f",
        "text-rotation": "autorotate" } },
      { selector: "node:selected", style: { "border-width": 3, "border-color": "#1b1b1b" } }
    ];
  }

  function draw(container) {
    if (typeof window.cytoscape !== "function") { return; }
    var source = document.getElementById(container.getAttribute("data-graph"));
    if (!source) { return; }
    var elements = JSON.parse(source.textContent);
    var explorer = container.hasAttribute("data-explore");
    var cy = window.cytoscape({
      container: container, elements: elements, style: style(), maxZoom: 1.6, minZoom: 0.2,
      layout: explorer ? { name: "concentric", animate: false } : { name: "breadthfirst", directed: true, spacingFactor: 0.9, animate: false }
    });
    if (explorer) { expandOnTap(cy, container); }
  }

  function expandOnTap(cy, container) {
    var status = document.getElementById("explore-status");
    var labels = (container.getAttribute("data-labels") || "").split(",").filter(Boolean);
    cy.on("tap", "node", function (event) {
      var node = event.target;
      var query = new URLSearchParams({ label: node.data("label"), id: node.id() });
      labels.forEach(function (label) { query.append("labels", label); });
      fetch("/explore/neighbourhood.json?" + query.toString(), { credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
        .then(function (answer) {
          var fresh = answer.elements.filter(function (element) { return cy.getElementById(element.data.id).empty(); });
          cy.add(fresh);
          cy.layout({ name: "cose", animate: false, randomize: false }).run();
          if (status) { status.textContent = (status.getAttribute("data-added") || "").replace("{n}", fresh.length); }
        })
        .catch(function () { if (status) { status.textContent = status.getAttribute("data-failed") || ""; } });
    });
  }

  document.querySelectorAll("[data-graph]").forEach(draw);
})();

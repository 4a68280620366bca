// Dashboard charts (Chart.js, served from our own origin) and the report's print button.
//
// The page works without this file: every chart is drawn from a JSON data block
// (<script type="application/json">, never executed) beside an HTML table holding the same
// figures, so the table is the accessible version and the chart is an addition. No inline
// script anywhere: the content security policy allows scripts from 'self' only.
(function () {
  "use strict";

  // GOV.UK Design System colours (each has at least 3:1 contrast against white).
  var COLOURS = ["#1d70b8", "#d4351c", "#00703c", "#f47738", "#4c2c92", "#505a5f", "#912b88", "#28a197"];
  var FONT = '"GDS Transport", arial, sans-serif';

  function withUnit(value, unit) {
    return value === null || value === undefined ? "not applicable" : value + (unit || "");
  }

  function config(data) {
    var horizontal = data.type === "horizontal";
    var stacked = data.type === "stacked";
    var line = data.type === "line";
    var percent = data.datasets.length > 0 && data.datasets[0].unit === "%";
    var valueAxis = {
      beginAtZero: true,
      stacked: stacked,
      ticks: { precision: 0, font: { family: FONT } },
      title: { display: percent, text: "%" }
    };
    if (percent) {
      valueAxis.max = 100;
    }
    var labelAxis = { stacked: stacked, ticks: { autoSkip: !horizontal, font: { family: FONT } } };
    return {
      type: line ? "line" : "bar",
      data: {
        labels: data.labels,
        datasets: data.datasets.map(function (set, index) {
          var colour = COLOURS[index % COLOURS.length];
          return {
            label: set.label,
            data: set.data,
            backgroundColor: colour,
            borderColor: colour,
            borderWidth: line ? 3 : 0,
            pointRadius: line ? 3 : 0,
            tension: 0
          };
        })
      },
      options: {
        indexAxis: horizontal ? "y" : "x",
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: horizontal ? { x: valueAxis, y: labelAxis } : { x: labelAxis, y: valueAxis },
        plugins: {
          legend: { display: data.datasets.length > 1, labels: { font: { family: FONT } } },
          tooltip: {
            callbacks: {
              label: function (item) {
                var unit = data.datasets[item.datasetIndex].unit;
                return item.dataset.label + ": " + withUnit(item.raw, unit);
              }
            }
          }
        }
      }
    };
  }

  function draw(holder) {
    var source = document.getElementById(holder.getAttribute("data-chart"));
    if (!source || typeof window.Chart === "undefined") {
      return;
    }
    var data = JSON.parse(source.textContent);
    // Sizes through the CSSOM (allowed by the policy; style attributes in the HTML are not).
    var rows = data.labels.length;
    holder.style.position = "relative";
    holder.style.height = (data.type === "horizontal" ? Math.max(160, rows * 34 + 60) : 320) + "px";
    holder.style.marginBottom = "20px";
    var canvas = document.createElement("canvas");
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", holder.getAttribute("data-chart-label") || data.title);
    canvas.textContent = holder.getAttribute("data-chart-label") || data.title;
    holder.appendChild(canvas);
    holder.chart = new window.Chart(canvas, config(data));
    holder.setAttribute("data-chart-drawn", "true");
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-chart]"), draw);
    Array.prototype.forEach.call(document.querySelectorAll("[data-print]"), function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        window.print();
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();

// Draws every <div class="chart" data-chart="ID"> from the JSON in <script id="ID"> (written by
// the template include web/includes/chart.html from huikuan.web.charts.chart_spec). When ECharts
// is missing, the figures table under the chart is opened instead. Redraws after htmx swaps.
(function () {
  "use strict";

  var lang = (document.documentElement.lang || "zh-hans").toLowerCase();
  var chinese = lang.indexOf("zh") === 0;
  var locale = chinese ? "zh-CN" : "en-US";
  var PALETTE = ["#1d5bd8", "#18a06a", "#e0a106", "#e06a1b", "#cf3a32", "#6b7280", "#7c5cd6"];
  var SEVERITY = ["#2e9e63", "#9cc93d", "#e8c21c", "#f0a020", "#ea6f22", "#d8412f", "#9e1c1c"];
  var charts = [];

  function money(value) {
    var number = Number(value);
    var text = Math.abs(number).toLocaleString(locale, {
      minimumFractionDigits: 2,
      maximumFractionDigits: 2,
    });
    return (number < 0 ? "-¥" : "¥") + text;
  }

  function axisMoney(value) {
    var abs = Math.abs(value);
    if (chinese) {
      if (abs >= 1e8) return value / 1e8 + "亿";
      if (abs >= 1e4) return value / 1e4 + "万";
      return String(value);
    }
    if (abs >= 1e6) return value / 1e6 + "M";
    if (abs >= 1e3) return value / 1e3 + "k";
    return String(value);
  }

  function severityColour(index, count) {
    if (count <= 1) return SEVERITY[0];
    var step = (SEVERITY.length - 1) / (count - 1);
    return SEVERITY[Math.round(index * step)];
  }

  function option(spec, width) {
    var horizontal = spec.kind === "hbar";
    var narrow = width < 520;
    var format = spec.money ? money : function (v) { return Number(v).toLocaleString(locale); };
    var categoryAxis = {
      type: "category",
      data: spec.categories,
      axisTick: { show: false },
      axisLine: { lineStyle: { color: "#cfd6e0" } },
      axisLabel: {
        color: "#667085",
        hideOverlap: true,
        fontSize: narrow ? 10 : 12,
        // Few categories (aging buckets): show every label; many (months): let ECharts thin them.
        interval: !horizontal && spec.categories.length <= 8 ? 0 : "auto",
      },
    };
    var valueAxis = {
      type: "value",
      axisLabel: { color: "#667085", formatter: spec.money ? axisMoney : null },
      splitLine: { lineStyle: { color: "#edf0f4" } },
    };
    var series = spec.series.map(function (s, index) {
      var type = s.type === "hbar" ? "bar" : s.type;
      var item = {
        name: s.name,
        type: type,
        data: s.data.map(Number),
        emphasis: { focus: "series" },
      };
      if (type === "bar") {
        item.barMaxWidth = 38;
        item.itemStyle = { borderRadius: horizontal ? [0, 4, 4, 0] : [4, 4, 0, 0] };
      } else {
        item.smooth = true;
        item.symbolSize = 6;
        item.lineStyle = { width: 2.5 };
      }
      if (spec.severity && spec.series.length === 1) {
        item.data = s.data.map(function (v, i) {
          return { value: Number(v), itemStyle: { color: severityColour(i, s.data.length) } };
        });
      } else {
        item.itemStyle = Object.assign(item.itemStyle || {}, {
          color: PALETTE[index % PALETTE.length],
        });
      }
      return item;
    });
    return {
      animationDuration: 400,
      textStyle: { fontFamily: getComputedStyle(document.body).fontFamily },
      grid: { left: 8, right: 16, top: spec.series.length > 1 ? 36 : 16, bottom: 8, containLabel: true },
      legend: spec.series.length > 1 ? { top: 0, left: 0, itemWidth: 14, itemHeight: 10 } : undefined,
      tooltip: {
        trigger: "axis",
        axisPointer: { type: "shadow" },
        valueFormatter: format,
        confine: true,
      },
      xAxis: horizontal ? valueAxis : categoryAxis,
      yAxis: horizontal ? categoryAxis : valueAxis,
      series: series,
    };
  }

  function draw(element) {
    if (element.dataset.chartReady) return;
    var source = document.getElementById(element.dataset.chart);
    if (!source) return;
    var spec = JSON.parse(source.textContent);
    if (!window.echarts) {
      var table = element.parentElement.querySelector("details.chart-table");
      if (table) table.open = true;
      element.hidden = true;
      return;
    }
    var chart = window.echarts.init(element, null, { renderer: "canvas" });
    chart.setOption(option(spec, element.clientWidth));
    element.dataset.chartReady = "1";
    charts.push(chart);
  }

  function drawAll(root) {
    (root || document).querySelectorAll("[data-chart]").forEach(draw);
  }

  var resizeTimer = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () {
      charts = charts.filter(function (chart) { return !chart.isDisposed(); });
      charts.forEach(function (chart) { chart.resize(); });
    }, 150);
  });
  document.addEventListener("htmx:afterSettle", function (event) { drawAll(event.target); });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { drawAll(); });
  } else {
    drawAll();
  }
})();

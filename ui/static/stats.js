// 统计报表's charts, from #stats-data: the trend (sent, delivered, failed),
// the statuses stacked by period, and the carrier share.
'use strict';
(function () {
  const src = document.getElementById('stats-data');
  if (!src || !window.echarts) return;
  const data = JSON.parse(src.textContent);
  const charts = [];
  const draw = (id, option) => {
    const el = document.getElementById(id);
    if (!el) return;
    const chart = window.echarts.init(el);
    chart.setOption(option);
    charts.push(chart);
  };
  const grid = {left: 56, right: 16, top: 36, bottom: 28};
  draw('trend-chart', {
    tooltip: {trigger: 'axis'},
    legend: {top: 0, data: ['发送量', '成功', '失败']},
    grid: grid,
    xAxis: {type: 'category', data: data.Periods},
    yAxis: {type: 'value', minInterval: 1},
    series: [
      {name: '发送量', type: 'line', data: data.Sent, itemStyle: {color: '#165dff'}},
      {name: '成功', type: 'line', data: data.Delivered, itemStyle: {color: '#00b42a'}},
      {name: '失败', type: 'line', data: data.Failed, itemStyle: {color: '#f53f3f'}},
    ],
  });
  draw('status-chart', {
    tooltip: {trigger: 'axis'},
    legend: {top: 0, data: ['成功', '失败', '待回执']},
    grid: grid,
    xAxis: {type: 'category', data: data.Periods},
    yAxis: {type: 'value', minInterval: 1},
    series: [
      {name: '成功', type: 'bar', stack: 'n', data: data.Delivered, itemStyle: {color: '#00b42a'}},
      {name: '失败', type: 'bar', stack: 'n', data: data.Failed, itemStyle: {color: '#f53f3f'}},
      {name: '待回执', type: 'bar', stack: 'n', data: data.Pending, itemStyle: {color: '#c9cdd4'}},
    ],
  });
  draw('carrier-chart', {
    tooltip: {trigger: 'item', formatter: '{b}: {c} ({d}%)'},
    legend: {top: 0},
    series: [{type: 'pie', radius: ['35%', '65%'], top: 24, data: data.Carriers}],
  });
  window.addEventListener('resize', () => charts.forEach((c) => c.resize()));
})();

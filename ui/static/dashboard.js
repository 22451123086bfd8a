// The dashboard's chart of today's messages by hour, from #hour-data.
'use strict';
(function () {
  const el = document.getElementById('hour-chart');
  const src = document.getElementById('hour-data');
  if (!el || !src || !window.echarts) return;
  const data = JSON.parse(src.textContent);
  const chart = window.echarts.init(el);
  chart.setOption({
    tooltip: {trigger: 'axis'},
    legend: {top: 0, data: ['已送达', '失败', '待发送']},
    grid: {left: 40, right: 16, top: 36, bottom: 28},
    xAxis: {type: 'category', data: data.Hours},
    yAxis: {type: 'value', minInterval: 1},
    series: [
      {name: '已送达', type: 'bar', stack: 'n', data: data.Delivered, itemStyle: {color: '#00b42a'}},
      {name: '失败', type: 'bar', stack: 'n', data: data.Failed, itemStyle: {color: '#f53f3f'}},
      {name: '待发送', type: 'bar', stack: 'n', data: data.Pending, itemStyle: {color: '#c9cdd4'}},
    ],
  });
  window.addEventListener('resize', () => chart.resize());
})();

// The dashboard's only script: draws the charts for the chosen view (inlined by dashboard.py).
const D = JSON.parse(document.getElementById('data').textContent);
const dimSel = document.getElementById('dimension'), groupSel = document.getElementById('group');
function fillGroups() {
  const groups = Object.keys(D.series[dimSel.value] || {}).sort();
  groupSel.innerHTML = groups.map(g => `<option>${g}</option>`).join('');
  draw();
}
function chart(name, s, spikes) {
  const W = 420, H = 150, P = 30, n = D.buckets.length;
  const ymax = Math.max(0.05, ...s.high);
  const x = i => P + (W - 2 * P) * (n > 1 ? i / (n - 1) : 0.5);
  const y = v => H - P + (P * 2 - H) * (v / ymax);
  const band = s.high.map((v, i) => `${x(i)},${y(v)}`).concat(
    s.low.map((v, i) => `${x(i)},${y(v)}`).reverse()).join(' ');
  const line = s.prevalence.map((v, i) => `${x(i)},${y(v)}`).join(' ');
  const marks = spikes.map(i => `<circle cx="${x(i)}" cy="${y(s.prevalence[i])}" r="4" fill="#c00"><title>spike ${D.buckets[i]}</title></circle>`).join('');
  return `<figure class="chart"><figcaption>${name}</figcaption><svg width="${W}" height="${H}" role="img" aria-label="${name}">
    <polygon points="${band}" fill="#9ecae1" opacity="0.5"/><polyline points="${line}" fill="none" stroke="#08519c" stroke-width="1.5"/>${marks}
    <text x="2" y="${P}" font-size="10">${(ymax * 100).toFixed(0)}%</text><text x="2" y="${H - P}" font-size="10">0</text>
    <text x="${P}" y="${H - 8}" font-size="10">${D.buckets[0]}</text><text x="${W - P - 60}" y="${H - 8}" font-size="10">${D.buckets[n - 1]}</text></svg></figure>`;
}
function draw() {
  const series = (D.series[dimSel.value] || {})[groupSel.value] || {};
  const out = Object.keys(series).sort().map(name => {
    const sp = D.spikes.filter(r => r.dimension === dimSel.value && r.group === groupSel.value && r.narrative === name)
      .map(r => D.buckets.indexOf(r.bucket));
    return chart(name, series[name], sp);
  });
  document.getElementById('charts').innerHTML = out.join('');
}
dimSel.onchange = fillGroups; groupSel.onchange = draw; fillGroups();

import { writeFileSync } from 'node:fs';

/**
 * Preloaded into a bench child with NODE_OPTIONS=--require (never part of the service): samples
 * process.memoryUsage() every 100 ms and keeps, in BENCH_MEMORY_FILE, the sample taken at the peak RSS
 * and the highest value each field reached.
 */
const file = process.env.BENCH_MEMORY_FILE;
if (file) {
  const mb = (bytes: number) => Math.round(bytes / 2 ** 20);
  let atPeak = process.memoryUsage();
  const highest = { ...atPeak };
  const sample = () => {
    const now = process.memoryUsage();
    if (now.rss >= atPeak.rss) atPeak = now;
    for (const key of Object.keys(highest) as (keyof NodeJS.MemoryUsage)[]) highest[key] = Math.max(highest[key], now[key]);
  };
  const save = () => {
    const asMb = (m: NodeJS.MemoryUsage) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, mb(v)]));
    writeFileSync(file, JSON.stringify({ atPeakRssMb: asMb(atPeak), highestMb: asMb(highest) }));
  };
  setInterval(sample, 100).unref();
  setInterval(save, 1000).unref();
  process.on('exit', () => (sample(), save()));
}

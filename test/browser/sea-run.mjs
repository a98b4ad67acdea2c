// The work test/browser.test.ts does twice, on two builds of the core: in
// Node on the sources, and in headless Chromium on the browser bundle. Plain
// JavaScript that takes the core as an argument, so both run the very same
// code and must agree to the last bit.

/**
 * A Hoeffding tree learned prequentially on a generated SEA stream (each row
 * predicted, then learned, through the batch API one row at a time).
 * Returns the number of rows predicted right.
 */
export async function prequentialSea(sl, { rows, seed }) {
  const generator = sl.synthGenerator('sea', { seed });
  const cols = generator.schema.features.length;
  const model = await sl.Model.create('hoeffding-tree', generator.schema, { seed });
  let correct = 0;
  for (let i = 0; i < rows; i++) {
    const { x, y } = generator.next();
    const batch = sl.rowsToBatch([{ x, y }], cols);
    const [predicted] = await model.predict(batch.x);
    if (predicted === y) correct++;
    await model.learn(batch);
  }
  return correct;
}

/** A SEA stream's first rows as one matrix: the rows whose probabilities the test compares. */
export function seaRows(sl, { rows, seed }) {
  const generator = sl.synthGenerator('sea', { seed });
  const cols = generator.schema.features.length;
  const list = [];
  for (let i = 0; i < rows; i++) list.push(generator.next());
  return sl.rowsToBatch(list, cols).x;
}

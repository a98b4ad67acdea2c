/**
 * streamlearn/dataframe: danfo.js DataFrames in and out (a DataFrame as a
 * training source, a report as a DataFrame). danfojs-node is an optional
 * peer dependency, imported on first use.
 *
 * @module
 */
export { dataFrameSource, reportToDataFrame, DANFO_INSTALL, type DataFrameLike, type DataFrameSourceOptions, type ReportLike } from './dataframe.js';

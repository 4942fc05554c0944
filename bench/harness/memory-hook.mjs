/**
 * A status hook module for a real `jobwatch worker` process in the memory benchmark: every job is
 * still running, answered from memory, so the worker polls at full speed and nothing ends. Plain
 * JavaScript, so that the compiled worker loads it without a TypeScript loader.
 */
export function getJobStatus() {
  return 'Processing';
}

// What pyodide-boot.mjs leaves on the worker's global object for worker.py (js.googlyPythonStart).
declare var googlyPythonStart: import('../web/protocol.js').StartStats;

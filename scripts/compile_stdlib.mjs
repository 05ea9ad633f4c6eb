// Compile Pyodide's standard library to bytecode: node scripts/compile_stdlib.mjs PYODIDE_DIR IN.zip OUT.zip
//
// Pyodide 0.27 ships python_stdlib.zip as source (.py), so every start of Python in the browser
// compiles the ~200 modules it imports: most of a cold boot (measured: starting Python 1.8-2.2 s with
// the source zip, 0.4-0.6 s with this one). scripts/build_site.py runs this with Pyodide's own
// Python 3.12 (the npm package, under Node) so the bytecode matches the browser's interpreter, and
// writes the result over the site's copy. Each module becomes a sourceless .pyc (zipimport loads
// it without a .py beside it; tracebacks keep file names and line numbers, without source lines);
// every other entry is copied as it is. PYTHONHASHSEED=0 and the original entries' dates make the
// output the same on every build, so the service worker's cache version only changes when Pyodide
// does.
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [pyodideDir, inZip, outZip] = process.argv.slice(2);
if (!outZip) {
  console.error('usage: node scripts/compile_stdlib.mjs PYODIDE_DIR IN.zip OUT.zip');
  process.exit(2);
}
const { loadPyodide } = await import(pathToFileURL(join(resolve(pyodideDir), 'pyodide.mjs')).href);
const pyodide = await loadPyodide({ indexURL: resolve(pyodideDir) + '/', env: { PYTHONHASHSEED: '0' } });
pyodide.FS.writeFile('/tmp/in.zip', readFileSync(inZip));
const summary = pyodide.runPython(`
import importlib.util, marshal, sys, zipfile

compiled = 0
with zipfile.ZipFile('/tmp/in.zip') as source, zipfile.ZipFile('/tmp/out.zip', 'w') as target:
    for entry in source.infolist():
        data = source.read(entry.filename)
        if entry.filename.endswith('.py'):
            code = compile(data, '/lib/python312.zip/' + entry.filename, 'exec', dont_inherit=True)
            # A timestamp-based pyc header (flags 0); with no source beside it nothing is compared.
            data = importlib.util.MAGIC_NUMBER + bytes(12) + marshal.dumps(code)
            entry = zipfile.ZipInfo(entry.filename + 'c', entry.date_time)
            compiled += 1
        entry.compress_type = zipfile.ZIP_DEFLATED
        target.writestr(entry, data, compresslevel=9)
f"{compiled} modules compiled by Python {sys.version.split()[0]}"
`);
writeFileSync(outZip, pyodide.FS.readFile('/tmp/out.zip'));
console.log(summary);

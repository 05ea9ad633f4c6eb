// Compile Python source to bytecode for the browser, with Pyodide's own Python 3.12 under Node:
//   node scripts/compile_python.mjs PYODIDE_DIR IN OUT PREFIX [LEAVE_OUT_JSON]
// IN is Pyodide's python_stdlib.zip or a wheel; OUT is the same archive with every module as a
// sourceless .pyc. PREFIX is where the browser's Python finds the archive's files (for file names
// in tracebacks): /lib/python312.zip/ for the standard library, /lib/python3.12/site-packages/ for
// a wheel. Files only needed to build C extensions or check types (.pyi .pxd .h .a .c) are left out,
// and so is every file whose path starts with one of LEAVE_OUT_JSON's strings (a JSON list: modules
// the app never imports, see scripts/build_site.py's NEVER_IMPORTED).
//
// Why: Pyodide 0.27 ships its standard library and its numpy and Pillow wheels as source, so every
// start of Python in the browser compiles each module it imports: most of a cold boot (starting
// Python measured 1.8-2.2 s with the source zip, 0.4-0.6 s compiled) and a good part of the
// imports. scripts/build_site.py runs this on files it has already checked against their pins and
// ships the result (the site's pyodide-lock.json carries the compiled wheels' own sha256). Modules
// load without their source beside them (tracebacks keep file names and line numbers, without the
// source lines). PYTHONHASHSEED=0 and the original entries' dates make the output the same on
// every build, so the service worker's cache version only changes when an input does.
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [pyodideDir, input, output, prefix, leaveOut = '[]'] = process.argv.slice(2);
if (!prefix) {
  console.error('usage: node scripts/compile_python.mjs PYODIDE_DIR IN OUT PREFIX');
  process.exit(2);
}
const { loadPyodide } = await import(pathToFileURL(join(resolve(pyodideDir), 'pyodide.mjs')).href);
const pyodide = await loadPyodide({ indexURL: resolve(pyodideDir) + '/', env: { PYTHONHASHSEED: '0' } });
pyodide.FS.writeFile('/tmp/in.zip', readFileSync(input));
pyodide.globals.set('prefix', prefix);
pyodide.globals.set('leave_out_json', leaveOut);
const summary = pyodide.runPython(`
import importlib.util, json, marshal, sys, zipfile

LEFT_OUT = ('.pyi', '.pxd', '.h', '.a', '.c')
never_imported = tuple(json.loads(leave_out_json))
compiled = left_out = 0
with zipfile.ZipFile('/tmp/in.zip') as source, zipfile.ZipFile('/tmp/out.zip', 'w') as target:
    for entry in source.infolist():
        if entry.filename.endswith(LEFT_OUT) or (never_imported and entry.filename.startswith(never_imported)):
            left_out += 1
            continue
        data = source.read(entry.filename)
        if entry.filename.endswith('.py'):
            code = compile(data, prefix + entry.filename, 'exec', dont_inherit=True)
            # A timestamp-based pyc header (flags 0); with no source beside it nothing is compared.
            data = importlib.util.MAGIC_NUMBER + bytes(12) + marshal.dumps(code)
            entry = zipfile.ZipInfo(entry.filename + 'c', entry.date_time)
            compiled += 1
        entry.compress_type = zipfile.ZIP_DEFLATED
        target.writestr(entry, data, compresslevel=9)
f"{compiled} modules compiled by Python {sys.version.split()[0]}, {left_out} files left out"
`);
writeFileSync(output, pyodide.FS.readFile('/tmp/out.zip'));
console.log(summary);

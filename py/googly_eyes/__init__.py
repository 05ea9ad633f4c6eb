"""Googly eyes on every face: the pure-Python core (numpy + Pillow).

The flow a photo takes, one module per step:

    photo.load_photo      decode the dropped bytes, apply EXIF orientation
    detect.FaceDetector   find faces and eye keypoints (BlazeFace through an ONNX session)
    googly.place_googly_eyes   size and pose a googly eye on every eye (seeded)
    render.draw_googly_eyes    paint them, anti-aliased, at full resolution
    photo.encode_photo    encode the result for download

`pipeline.process_photo` runs them in that order. Nothing here imports `js`, `pyodide` or
`pyscript`: the browser glue lives in `web/`, so all of this runs and is tested in CPython.
"""

__version__ = "0.1.0"

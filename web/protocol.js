// @ts-check
// The worker protocol, written down once: every request engine.js sends to the Python worker
// (worker.py, functions on `pyscript.sync`) and every answer it gets back. Types only: this module
// exports nothing at run time; `tsc --noEmit` checks the page's code against it (./dev test), and
// tests/unit/test_gallery.py checks that the Python side answers exactly these fields.
//
// Every call takes one request object and answers one object: `{ok: true, ...}` or `Failed`.
// Field names are the JSON the core writes (googly_eyes.gallery), so Python and JavaScript read the
// same words.

/**
 * What went wrong, for people: `message` says what happened (naming the file), `hint` what to do.
 * `code` is for programs: a PhotoError code (empty-file, too-large, corrupt, unsupported, ...),
 * or "not-loaded", "preview-gone", "models-failed", "internal".
 * @typedef {object} Failure
 * @property {string} code
 * @property {string} message
 * @property {string} hint
 */

/**
 * @typedef {object} Failed
 * @property {false} ok
 * @property {Failure} error
 */

/**
 * A photo's look: its settings (config.py's GooglySettings as JSON) and its hand edits (googly.py).
 * @typedef {object} View
 * @property {import('./settings.js').Look} settings  config.GooglySettings, as settings.js declares it
 * @property {Edits} edits
 */

/**
 * @typedef {object} EyeEdit
 * @property {number[]} [centre]
 * @property {number} [radius]
 * @property {boolean} [deleted]
 * @property {number} [reroll]
 */

/**
 * @typedef {object} AddedEye
 * @property {string} key
 * @property {number[]} centre
 * @property {number} radius
 * @property {number} [reroll]
 */

/**
 * @typedef {object} Edits
 * @property {Object<string, EyeEdit>} eyes
 * @property {AddedEye[]} added
 */

/**
 * Page options (from the page's ?query, for benchmarks) and where the site is.
 * @typedef {object} BootRequest
 * @property {string} base  the page's URL: the worker resolves models/ and vendor/ against it
 * @property {string | null} threads  a number: at most this many onnxruntime-web threads (models.ort_threads)
 * @property {string | null} model  another face detector file the manifest pins
 * @property {string | null} mesh  another face landmarker file the manifest pins
 * @property {string | null} export  "pillow": downloads made by Pillow instead of the canvas
 * @property {string | null} turns  "upright": the whole photo is looked at upright only, not in four turns
 * @property {string | null} video  "vp9": animations never use H.264 (as in a browser without it); "none": no
 *   video encoder at all (tests of those browsers)
 */

/**
 * How Python started (pyodide-boot.mjs), in ms.
 * @typedef {object} StartStats
 * @property {'none' | 'used'} snapshot  whether Python started from a memory snapshot
 * @property {number} ms  starting Python
 * @property {number} packages_ms  loading numpy, Pillow and googly_eyes
 * @property {string | null} error  why a snapshot could not be read, restored or saved
 */

/**
 * How the boot went, in ms since the worker started: pyodide-boot.mjs's stats and worker.py's.
 * @typedef {object} WorkerStart
 * @property {number} worker_ms  when worker.py started
 * @property {number} imports_ms  worker.py's imports
 * @typedef {StartStats & WorkerStart} PythonStart
 */

/**
 * @typedef {object} BootInfo
 * @property {true} ok
 * @property {string} model  the face detector file in use
 * @property {Object<string, string>} models  the file of each model role
 * @property {number} threads
 * @property {string} version
 * @property {number} models_ms
 * @property {PythonStart} python
 * @property {boolean} isolated  cross-origin isolated (threads possible)
 */

/**
 * @typedef {object} AnalyseRequest
 * @property {string} id  the page's id for the photo
 * @property {string} name  its file name
 * @property {Uint8Array} bytes  the file as dropped
 * @property {View} view
 * @property {number} turn  quarter turns clockwise asked for by hand (the editor's Rotate), 0..3
 * @property {boolean} [early]  post the first googly eyes (EarlyAnswer) on the "googly-early" channel as soon as
 *   the whole-photo look found faces, while the finer levels still look for small ones
 */

/**
 * A photo's first googly eyes, before its analysis is complete (the faces the whole-photo look found; the
 * background, if changed, comes with the complete answer).
 * @typedef {object} EarlyAnswer
 * @property {true} ok
 * @property {string} id
 * @property {string} name
 * @property {Uint8Array<ArrayBuffer>} preview
 * @property {string} previewMime
 * @property {EditorEye[]} eyes
 * @property {number} googlyEyes
 * @property {OverlayFace[]} faces
 */

/**
 * @typedef {object} RenderRequest
 * @property {string} id
 * @property {View} view
 * @property {Uint8Array | null} bytes  the file again, only after a "preview-gone" failure
 */

/**
 * @typedef {object} ExportRequest
 * @property {string} id
 * @property {Uint8Array} bytes
 * @property {View} view
 * @property {Output} output
 */

/**
 * @typedef {object} Output
 * @property {string} format  "auto" | "jpeg" | "png" | "webp"
 * @property {number} quality  1..100
 * @property {string} photo_info  "keep" (date taken, camera, artist, copyright; never the location) | "remove"
 * @property {boolean} [eye_mask]  also the eyes' mask PNG ("Download all" with eye masks)
 */

/**
 * An animated download's choices (googly_eyes.animation.AnimationSettings).
 * @typedef {object} AnimationChoice
 * @property {string} motion  "shake" | "nod" | "jiggle" | "drop"
 * @property {number} seconds  1..6
 * @property {number} size  the longest side, 360..1080 px (never more than the photo's)
 * @property {string} format  "mp4" | "gif" | "webp" | "apng"
 */

/**
 * @typedef {object} AnimateRequest
 * @property {string} id
 * @property {Uint8Array} bytes
 * @property {View} view
 * @property {AnimationChoice} animation
 * @property {string} job  names this animation in the progress and cancel messages (ANIMATION_CHANNEL)
 */

/**
 * What the worker and the page say to each other about an animation being made, on the BroadcastChannel
 * "googly-animation": the worker posts progress, the page posts a cancel.
 * @typedef {{job: string, done: number, total: number} | {cancel: string}} AnimationMessage
 */

/** @typedef {{id: string}} ForgetRequest */

/**
 * The photo people chose to put behind the people (background "photo"), for every photo that uses it.
 * @typedef {object} BackgroundPhotoRequest
 * @property {string} name
 * @property {Uint8Array} bytes
 */

/**
 * @typedef {object} BackgroundPhotoAnswer
 * @property {true} ok
 * @property {string} name
 * @property {number} width  as kept (at most the analysis size)
 * @property {number} height
 */
/** @typedef {{runs: number, photo?: Uint8Array}} TimeModelRequest */
/** @typedef {{step: number}} WarmUpRequest */
/** @typedef {{ok: true, more: boolean}} WarmUpAnswer  whether another step is worth it */
/** @typedef {{ok: true}} Done */

/**
 * A googly eye as the editor shows it, in photo pixels.
 * @typedef {object} EditorEye
 * @property {string} key  "face:side" (e.g. "0:right") or an added eye's key ("a1")
 * @property {number[]} centre
 * @property {number} radius
 * @property {number[]} pupil_centre
 * @property {number} pupil_radius
 * @property {number} face  -1 for an eye added by hand
 * @property {string} side  "right" | "left" | "added"
 * @property {number} roll  head roll, degrees
 * @property {number} [aspect]  short over long axis of an eye-shaped googly eye
 * @property {number} [tilt_degrees]  its long axis' direction
 * @property {number} [lid]  share of the eye the upper lid covers (an eye shut, expressions on)
 * @property {boolean} [sparkle]  a smile's sparkle by the eye (expressions on)
 */

/**
 * Where a face and its eyes are, for "Show detections".
 * @typedef {object} OverlayFace
 * @property {number[]} box
 * @property {OverlayEye[]} eyes  the subject's right eye, then the left
 * @property {number[][]} keypoints  the detector's six keypoints
 */

/**
 * @typedef {object} OverlayEye
 * @property {number[]} centre
 * @property {boolean} visible  false: hidden by a turned head (no googly eye)
 * @property {number[][]} contour  the eye's outline, its points in order around the eye (empty without the mesh)
 */

/**
 * How big an eye added by hand starts, and how far from a pair's centre each of its eyes goes.
 * @typedef {object} NewEye
 * @property {number} radius
 * @property {number} pairOffset
 */

/**
 * A preview with googly eyes, rendered for a look.
 * @typedef {object} RenderAnswer
 * @property {true} ok
 * @property {string} name
 * @property {Uint8Array<ArrayBuffer>} preview
 * @property {string} previewMime
 * @property {EditorEye[]} eyes
 * @property {number} googlyEyes
 * @property {NewEye} newEye
 * @property {Object<string, number>} timings  ms by stage
 * @property {number} [people]  with a background other than "keep": how many faces the people mask was
 *   made round (0: no people found, so the background is left as it is)
 */

/**
 * A new photo's analysis and first preview.
 * @typedef {object} AnalyseExtra
 * @property {Uint8Array<ArrayBuffer>} original  the preview without googly eyes
 * @property {string} originalMime
 * @property {OverlayFace[]} faces
 * @property {number} width  the photo's upright size
 * @property {number} height
 * @property {number} orientation  the EXIF orientation applied
 * @property {number} turn  the quarter turns clockwise applied after it (AnalyseRequest.turn)
 * @property {string} downloadName
 * @typedef {RenderAnswer & AnalyseExtra} AnalyseAnswer
 */

/**
 * A full-resolution download.
 * @typedef {object} ExportAnswer
 * @property {true} ok
 * @property {string} name
 * @property {Uint8Array<ArrayBuffer>} image
 * @property {string} mime
 * @property {string} downloadName
 * @property {string} path  "canvas" | "pillow"
 * @property {string} json  the detections JSON
 * @property {Object<string, number>} timings
 * @property {Uint8Array<ArrayBuffer>} [eyeMask]  with output.eye_mask: the eyes' outlines filled white on black
 *   (PNG, 1 bit, the photo's size)
 */

/**
 * How a pupil looks (render.pupil_look): a disc, and in the cartoon style a catch-light that moves with it.
 * @typedef {{colour: string, catchlight: {centre: number[], radius: number, colour: string} | null}} PupilLook
 */

/**
 * A layer the live wobble draws over the pupils (glossy's highlight), in preview pixels.
 * @typedef {object} AboveLayer
 * @property {number} left
 * @property {number} top
 * @property {Uint8Array<ArrayBuffer>} png
 */

/**
 * One eye of the live wobble, in preview pixels.
 * @typedef {object} MovingEye
 * @property {string} key
 * @property {number[]} centre
 * @property {number} radius
 * @property {number} pupilRadius
 * @property {number[]} squash  [a, b, c, d]: the pupil's place in the round eye (x, y in eye radii) -> its
 *   offset from the centre, (a x + b y, c x + d y) eye radii; the identity but for the eye-shaped style
 */

/**
 * What the editor's live wobble draws and moves (gallery.moving), at the preview's size.
 * @typedef {object} MovingAnswer
 * @property {true} ok
 * @property {string} name
 * @property {Uint8Array<ArrayBuffer>} base  the preview with the googly eyes but no pupils
 * @property {string} baseMime
 * @property {number} width
 * @property {number} height
 * @property {PupilLook} look
 * @property {AboveLayer[]} above
 * @property {MovingEye[]} eyes
 * @property {import('./physics.js').PupilParams[]} params
 * @property {number[][]} start  each pupil's first position, eye radii
 * @property {import('./physics.js').PhysicsConstants} physics
 */

/**
 * An animated download.
 * @typedef {object} AnimateAnswer
 * @property {true} ok
 * @property {string} name
 * @property {Uint8Array<ArrayBuffer>} image  the file
 * @property {string} mime
 * @property {string} downloadName
 * @property {string} format  what was written: "mp4", "webm" (no H.264 encoder here), "gif", "webp", "apng"
 * @property {number} width
 * @property {number} height
 * @property {number} fps
 * @property {number} frames
 * @property {string} json  the detections JSON, with the animation's settings and physics
 * @property {Object<string, number>} timings
 */

/**
 * @typedef {object} MemoryAnswer
 * @property {true} ok
 * @property {number} wasm_bytes  the wasm heap (it only grows)
 * @property {number} malloc_bytes  bytes malloc has handed out and not had back
 * @property {number} photos
 * @property {number} previews
 * @property {number} masks  people masks kept (photos whose background was changed)
 */

/**
 * @typedef {object} TimeModelAnswer
 * @property {true} ok
 * @property {number[]} times
 * @property {RunSplit[]} split  where each of those runs' time went
 * @property {{total?: number, timings?: Object<string, number>, runs?: RunSplit[]}} photo  with a `photo`: one
 *   analysis of it (ms in all, the pipeline's stages, every model run's split)
 */

/**
 * One model run in the page, ms (web/ort_web.py profile): making the input tensors, onnxruntime-web's run, the
 * wait until Python resumed after it resolved, reading the outputs.
 * @typedef {{tensors: number, run: number, resume: number, read: number}} RunSplit
 */

/**
 * The worker's functions, as PyScript's `xworker.sync` exposes them to the page.
 * @typedef {object} WorkerCalls
 * @property {(request: BootRequest) => Promise<BootInfo | Failed>} boot
 * @property {(request: AnalyseRequest) => Promise<AnalyseAnswer | Failed>} analyse
 * @property {(request: RenderRequest) => Promise<RenderAnswer | Failed>} render
 * @property {(request: ExportRequest) => Promise<ExportAnswer | Failed>} export
 * @property {(request: AnimateRequest) => Promise<AnimateAnswer | Failed>} animate
 * @property {(request: RenderRequest) => Promise<MovingAnswer | Failed>} moving
 * @property {(request: ForgetRequest) => Promise<Done>} forget
 * @property {(request: BackgroundPhotoRequest) => Promise<BackgroundPhotoAnswer | Failed>} background_photo
 * @property {(request: WarmUpRequest) => Promise<WarmUpAnswer>} warm_up
 * @property {(request: TimeModelRequest) => Promise<TimeModelAnswer>} time_model
 * @property {() => Promise<MemoryAnswer>} memory
 * @property {(request: CameraRequest) => Promise<CameraKit | Failed>} camera
 */

/**
 * @typedef {object} CameraRequest
 * @property {{settings: import('./settings.js').Look}} view  the settings the camera's googly eyes follow
 */

/**
 * What the camera mode draws its googly eyes with (googly_eyes.camera.camera_kit).
 * @typedef {object} CameraKit
 * @property {true} ok
 * @property {Uint8Array<ArrayBuffer>} still  PNG: one eye under its pupil, radius `radius`, centred in `size` px
 * @property {Uint8Array<ArrayBuffer> | null} above  PNG: what goes over the pupil, or null
 * @property {number} size
 * @property {number} radius
 * @property {PupilLook} look
 * @property {number} gamma
 * @property {string} sizing  "distance" or "eye_width"
 * @property {number} eyeWidthPerEyeDistance
 * @property {{pupilFraction: number, params: import('./physics.js').PupilParams, start: number[]}[]} slots
 *   per face in order of appearance, right eye then left
 * @property {import('./physics.js').PhysicsConstants} physics
 */

/**
 * What python-snapshot.mjs reports after making the snapshot warm boots start from.
 * @typedef {object} SnapshotReport
 * @property {boolean} saved
 * @property {number} [bytes]
 * @property {number} [ms]
 * @property {string | null} [error]
 */

/**
 * One analysed file, as window.googly.results records it (tests and benchmarks read these).
 * @typedef {object} ResultRecord
 * @property {string} name
 * @property {boolean} ok
 * @property {number} totalMs
 * @property {number | null} earlyMs  from its turn to its first googly eyes (the whole-photo look's faces), when
 *   they came before the complete result; null when there was no early answer
 * @property {string | null} decodedFrom  "HEIC", "HEIF" or "AVIF" when this browser decoded it for Python (intake.js)
 * @property {number} [faces]
 * @property {number} [googlyEyes]
 * @property {number} [width]
 * @property {number} [height]
 * @property {Object<string, number>} [timings]
 * @property {string} [error]  the failure's code
 * @property {string} [message]
 */

/**
 * One full-resolution file made for a download, as window.googly.exports records it.
 * @typedef {object} ExportRecord
 * @property {string} name
 * @property {boolean} ok
 * @property {number} totalMs
 * @property {Object<string, number> | null} timings
 * @property {string | null} path
 * @property {number | null} bytes
 * @property {string | null} mime
 */

/**
 * One animated download, as window.googly.animations records it.
 * @typedef {object} AnimationRecord
 * @property {string} name
 * @property {boolean} ok
 * @property {number} totalMs
 * @property {string} [format]
 * @property {number} [bytes]
 * @property {number} [frames]
 * @property {Object<string, number>} [timings]
 * @property {string} [error]  the failure's code
 */

/**
 * @typedef {object} WobbleRecord
 * @property {boolean} running  the loop is drawing frames (it stops when every pupil is at rest)
 * @property {number} frames
 * @property {number} steps  physics steps run
 * @property {number} drawn
 * @property {number[]} pupils  each pupil's position, x then y, eye radii
 */

/**
 * What the page shows of itself on `window.googly`, for tests and benchmarks.
 * @typedef {object} PageRecord
 * @property {number | null} readyMs  ms from navigation to the models being ready
 * @property {BootInfo | null} info
 * @property {ResultRecord[]} results
 * @property {ExportRecord[]} exports
 * @property {AnimationRecord[]} animations
 * @property {() => WobbleRecord} [wobble]  the editor's live wobble now
 * @property {object[]} photos  app.js's photos, in the order added
 * @property {boolean} idle  true once the photos dropped so far are done
 * @property {SnapshotReport | null} snapshot
 * @property {() => object} [camera]  the camera mode now: frames analysed and drawn, the last frame's faces
 * @property {{name: string, bytes: number, mime: string, seconds: number}[]} clips  the camera's recorded clips
 */

/**
 * build-info.json, written by scripts/build_site.py: every site file with its sha256.
 * @typedef {object} BuildInfo
 * @property {string} cache_version  a hash of the file list, stamped into sw.js
 * @property {Object<string, string>} files  path relative to the site -> sha256
 * @property {string[]} [online_only]  on the site but never precached
 * @property {string[]} [kept_when_used]  of those, the ones the service worker keeps once fetched (later models)
 */

export {};

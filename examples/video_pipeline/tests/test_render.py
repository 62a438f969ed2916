import os

from pipeline import render


def test_render_clip_hands_every_frame_to_ffmpeg(monkeypatch):
    seen = {}

    def fake_ffmpeg(command, check):
        workdir = os.path.dirname(command[3])
        seen["frames"] = sorted(os.listdir(workdir))
        seen["output"] = command[-1]

    monkeypatch.setattr(render.subprocess, "run", fake_ffmpeg)
    output = render.render_clip("job-1", [b"frame-0", b"frame-1"])
    try:
        assert seen == {"frames": ["00000.png", "00001.png"], "output": output}
        assert os.path.isfile(output)
    finally:
        os.remove(output)

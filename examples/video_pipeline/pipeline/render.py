"""Render a clip: the scratch files of every job land in the same machine-wide /tmp."""
import os
import subprocess
import tempfile

FRAME_DIR = "/tmp/frames"


def render_clip(workflow_id, frames):
    fd, output = tempfile.mkstemp(suffix=".mp4")
    os.close(fd)
    with tempfile.TemporaryDirectory() as workdir:
        for index, frame in enumerate(frames):
            with open(os.path.join(workdir, f"{index:05d}.png"), "wb") as f:
                f.write(frame)
        subprocess.run(["ffmpeg", "-y", "-i", f"{workdir}/%05d.png", output], check=True)
    return output


def thumbnail_path():
    return os.path.join(tempfile.gettempdir(), "thumb.jpg")

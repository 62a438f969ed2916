import json

from pipeline.upload import Uploader


class RecordingClient:
    def __init__(self):
        self.uploaded = []

    def upload(self, path):
        with open(path) as f:
            self.uploaded.append(json.load(f))


def test_upload_manifest_sends_the_manifest_as_json():
    client = RecordingClient()
    Uploader(client, "job-1").upload_manifest({"clip": "intro.mp4"})
    assert client.uploaded == [{"clip": "intro.mp4"}]

import json
from tempfile import NamedTemporaryFile


class Uploader:
    def __init__(self, client, workflow_id):
        self.client = client
        self.workflow_id = workflow_id

    def upload_manifest(self, manifest):
        with NamedTemporaryFile("w", suffix=".json") as f:
            json.dump(manifest, f)
            f.flush()
            self.client.upload(f.name)

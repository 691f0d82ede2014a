#!/usr/bin/python3
"""Generate the reference files under weights/ from torchvision (run with /usr/bin/python3, which has
Debian's torch + torchvision; nothing is downloaded):

  weights/imagenet_classes.json  the 1000 ImageNet class names in torchvision order
                                 (SqueezeNet1_1_Weights.IMAGENET1K_V1.meta['categories'])
  weights/manifest.json          name and shape of each of the 52 tensors in torchvision's squeezenet1_1
                                 state dict, in state-dict order (built from the architecture, random init)
"""
import json
import os

import torchvision

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'weights')
os.makedirs(root, exist_ok=True)

classes = list(torchvision.models.SqueezeNet1_1_Weights.IMAGENET1K_V1.meta['categories'])
assert len(classes) == 1000
with open(os.path.join(root, 'imagenet_classes.json'), 'w') as f:
    json.dump(classes, f, indent=0)
    f.write('\n')

sd = torchvision.models.squeezenet1_1().state_dict()
tensors = [{'name': k, 'shape': list(v.shape)} for k, v in sd.items()]
manifest = {
    'model': 'SqueezeNet 1.1',
    'source': f'torchvision {torchvision.__version__} models.squeezenet1_1().state_dict()',
    'parameters': sum(v.numel() for v in sd.values()),
    'tensors': tensors,
}
with open(os.path.join(root, 'manifest.json'), 'w') as f:
    f.write('{\n')
    for k in ('model', 'source', 'parameters'):
        f.write(f'  {json.dumps(k)}: {json.dumps(manifest[k])},\n')
    f.write('  "tensors": [\n')
    f.write(',\n'.join(f'    {json.dumps(t)}' for t in tensors))
    f.write('\n  ]\n}\n')
print(f'{len(classes)} classes, {len(tensors)} tensors, {manifest["parameters"]} parameters')

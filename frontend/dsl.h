// Everything a model file needs: tensors, functional ops, modules and layers,
// losses, optimisers, initialisers and the MINIGRAD_MODEL macro. It includes no
// LLVM and no Eigen, so model files compile quickly.
#pragma once

#include "frontend/functional.h"
#include "frontend/image_layers.h"
#include "frontend/init.h"
#include "frontend/layers.h"
#include "frontend/loss.h"
#include "frontend/model.h"
#include "frontend/module.h"
#include "frontend/optim.h"
#include "frontend/tensor.h"

"""The classic convolutional networks as blocks + configuration tables + thin builders.

Every family is written the same way: the architecture lives in a table of data
(``ALEXNET_CONFIGS``, ``VGG_CONFIGS``, ``GOOGLENET_TABLE``, ``RESNET_STAGES``,
``DENSENET_CONFIGS``, and ``DIGIT_CLASSICS`` for the six at digit size), small ``nn.Module`` blocks implement one unit of it, and a builder
turns a table row into a network. The full-size ImageNet builders match the published (and
torchvision's) parameter totals exactly; the ``small``/digit-sized variants are the ones the
chapter trains on the 8x8 (or upsampled) scikit-learn digits.

Every network returned by a builder is an :class:`ImageClassifier`, which checks its input
and fails with a message naming the size it expects (wrong channels, too small an image).
:func:`layer_table` traces one forward pass with hooks and lists each layer's output shape
and parameter count; run it on the ``meta`` device to trace ImageNet-sized models without
allocating their weights.

References:
    LeCun et al. 1998 (LeNet-5), Krizhevsky et al. 2012 (AlexNet), Simonyan & Zisserman 2015
    (VGG), Szegedy et al. 2015 (GoogLeNet), He et al. 2016 (ResNet), Huang et al. 2017
    (DenseNet).
"""

from __future__ import annotations

from .common import ScaledTanh, ImageClassifier, LayerRow, layer_table, format_table, count_params, multiply_adds
from .lenet import Subsampling, SparseConv2d, RBFOutput, LENET_C3_TABLE, lenet5
from .alexnet import ALEXNET_CONFIGS, alexnet
from .vgg import VGG_CONFIGS, vgg
from .googlenet import Inception, GOOGLENET_TABLE, googlenet
from .resnet import BasicBlock, Bottleneck, RESNET_STAGES, resnet, small_resnet
from .densenet import DenseLayer, DenseBlock, Transition, DENSENET_CONFIGS, densenet, densenet121
from .zoo import DigitModel, DIGIT_CLASSICS, small_vgg, small_googlenet

__all__ = [
    "ImageClassifier",
    "LayerRow",
    "layer_table",
    "format_table",
    "count_params",
    "multiply_adds",
    "ScaledTanh",
    "Subsampling",
    "SparseConv2d",
    "RBFOutput",
    "LENET_C3_TABLE",
    "lenet5",
    "ALEXNET_CONFIGS",
    "alexnet",
    "VGG_CONFIGS",
    "vgg",
    "Inception",
    "GOOGLENET_TABLE",
    "googlenet",
    "BasicBlock",
    "Bottleneck",
    "RESNET_STAGES",
    "resnet",
    "small_resnet",
    "DenseLayer",
    "DenseBlock",
    "Transition",
    "DENSENET_CONFIGS",
    "densenet",
    "densenet121",
    "DigitModel",
    "DIGIT_CLASSICS",
    "small_vgg",
    "small_googlenet",
]

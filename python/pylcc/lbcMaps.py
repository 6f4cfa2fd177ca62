"""The original pylcc's map class names, for programs that import them."""
from .maps import ArrayMap, EventMap, HistMap, Map, StackMap, TableMap  # noqa: F401

CeventBase = Map
CtableBase = TableMap
CmapsEvent = EventMap
CmapsHash = CmapsLruHash = CmapsPerHash = CmapsPerArray = CmapsLruPerHash = TableMap
CmapsArray = ArrayMap
CmapsHist2 = CmapsHist10 = HistMap
CmapsStack = StackMap

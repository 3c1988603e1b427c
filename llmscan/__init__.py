"""llmscan: find what a trained model memorized from its training data before you release it."""

from llmscan.config import ScanConfig
from llmscan.errors import LlmscanError
from llmscan.models import LoadedModel, load_model
from llmscan.records import Finding, Sample
from llmscan.scan import ScanResult, scan

__version__ = "0.1.0"

__all__ = ["Finding", "LlmscanError", "LoadedModel", "Sample", "ScanConfig", "ScanResult", "load_model", "scan",
           "__version__"]

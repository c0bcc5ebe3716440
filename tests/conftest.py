import sys
from pathlib import Path

ASSIGNMENT_DIR = Path(__file__).resolve().parent.parent / "source" / "dinosaur_island"
sys.path.insert(0, str(ASSIGNMENT_DIR))
sys.path.insert(0, str(ASSIGNMENT_DIR.parent.parent))

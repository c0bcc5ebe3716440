#!/usr/bin/env bash
# Start JupyterLab for a student on the released assignment:
#   bash utils/student/lab.sh [FOLDER] [JUPYTER LAB OPTIONS]
# FOLDER (default: student_work) gets a copy of release/dinosaur_island/ unless it already has
# one; JupyterLab opens the notebook there. The Jupyter config in utils/student/jupyter/ keeps
# nbgrader's Validate button and switches off the parts a student cannot use: the Assignment
# List and Course List (they need an nbgrader exchange), the instructor's Create Assignment and
# Formgrader, and JupyterLab's news prompt. The instructor's own Jupyter set-up is left as it is.
set -euo pipefail
kit="$(cd "$(dirname "$0")/../.." && pwd)"
folder=student_work
if [ $# -gt 0 ] && [[ $1 != -* ]]; then
  folder=$1
  shift
fi
mkdir -p "$folder"
if [ ! -e "$folder/dinosaur_island" ]; then
  cp -R "$kit/release/dinosaur_island" "$folder/"
  echo "Copied the released assignment to $folder/dinosaur_island/"
fi
cd "$folder/dinosaur_island"
export JUPYTER_CONFIG_PATH="$kit/utils/student/jupyter${JUPYTER_CONFIG_PATH:+:$JUPYTER_CONFIG_PATH}"
exec jupyter lab dinosaur_island.ipynb "$@"

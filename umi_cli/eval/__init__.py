"""Evaluation: step-level ToolBench metrics of the α-UMi paper and BFCL accuracy (`umi eval`)."""

from crm_roi.cli import main

main()

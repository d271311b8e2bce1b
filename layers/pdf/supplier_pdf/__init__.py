"""The PDF layer: the supplier's PDF drawn with fpdf2, and the fonts it embeds.

Only the po_pdf function has this layer (template.yaml, PdfLayer): fpdf2 with Pillow and fontTools
is about half of what the shared layer would weigh, and no other function draws a PDF. What the
supplier is told (lines, revisions, changes, amounts) is decided in `purchasing.domain.po_pdf`.
"""

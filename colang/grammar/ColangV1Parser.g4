// Colang 1.0 block structure (spec/colang.md A.1, A.2).
//
// A 1.0 file is a tree of logical lines: every line may own an indented block
// of lines. What a line means is decided by its first word (the "main
// token") and the line rewrites of A.1, which the front end applies
// (colang/v1/parse_v1.cc); keywords are soft (`define flow user asked if ok`
// is a flow name), so the grammar keeps lines as plain token sequences.
parser grammar ColangV1Parser;

options { tokenVocab = ColangV1Lexer; }

document   : NEWLINE* block* EOF ;
block      : line NEWLINE ( INDENT block+ DEDENT )? ;
line       : piece+ ;
piece      : STRING | UNTERMINATED | VAR | NUMBER | ELLIPSIS | WORD | OPERATOR | PUNCT | OTHER ;

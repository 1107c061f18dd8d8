// Colang 1.0 tokens (spec/colang.md A.1).
//
// Colang 1.0 is line-oriented: the C++ line reader (colang/v1/internal/
// line_reader.*) strips comments, joins continuation lines and multi-line
// strings, and this lexer then runs over one logical line at a time. The
// token source (colang/v1/internal/block_parser.*) adds NEWLINE, INDENT and
// DEDENT, so the parser sees the indentation structure. The lexer never
// fails: anything unknown is an OTHER token, and a string without its
// closing quote is UNTERMINATED, which the token source reports.
lexer grammar ColangV1Lexer;

tokens { INDENT, DEDENT, NEWLINE }

STRING       : '"' ( ~["\\] | '\\' . )* '"' ;
UNTERMINATED : '"' ( ~["\\] | '\\' . )* '\\'? ;
VAR          : '$' [a-zA-Z_] [a-zA-Z_0-9.]* ;
NUMBER       : [0-9]+ ( '.' [0-9]+ )? ;
ELLIPSIS     : '...' ;
WORD         : ~[ \t\r\n"$()[\]{},:;=<>!+\-*/%.'|&^~@#?\\]
               ~[ \t\r\n"$()[\]{},:;=<>!+*/%.'|&^~@#?\\]* ;
OPERATOR     : '==' | '!=' | '<=' | '>=' | '+=' | '-=' | '**' | '//'
             | [=<>+\-*/%] ;
PUNCT        : [()[\]{},:;.!'|&^~@#?\\] ;
WS           : [ \t\r\n]+ -> skip ;
OTHER        : . ;

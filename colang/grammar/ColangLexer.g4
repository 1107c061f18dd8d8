// Colang 2.x lexer (spec/colang.md B.1).
//
// This grammar only cuts the text into raw tokens. Line structure is decided
// afterwards by colang/internal/indent_token_source.cc, which turns NEWLINE,
// WS and COMMENT tokens into the NEWLINE / INDENT / DEDENT tokens the parser
// sees, joins `and`/`or` continuation lines, drops line breaks inside
// brackets and recognises the `...` generation lines. That is why WS, NEWLINE
// and COMMENT are ordinary tokens here and not skipped.
//
// Keywords are tokens of their own; the parser lets most of them stand for a
// plain word where a name is expected (rule `nameWord`), which makes them soft.
lexer grammar ColangLexer;

// Produced only by the indentation token source, never by this lexer.
tokens { INDENT, DEDENT, GENERATE }

// ---------------------------------------------------------------- keywords
FLOW       : 'flow' ;
IF         : 'if' ;
ELIF       : 'elif' ;
ELSE       : 'else' ;
WHILE      : 'while' ;
WHEN       : 'when' ;
ORWHEN     : 'orwhen' ;
MATCH      : 'match' ;
AWAIT      : 'await' ;
START      : 'start' ;
STOP       : 'stop' ;
ACTIVATE   : 'activate' ;
DEACTIVATE : 'deactivate' ;
SEND       : 'send' ;
AS         : 'as' ;
AND        : 'and' ;
OR         : 'or' ;
NOT        : 'not' ;
IN         : 'in' ;
IS         : 'is' ;
RETURN     : 'return' ;
ABORT      : 'abort' ;
BREAK      : 'break' ;
CONTINUE   : 'continue' ;
PASS       : 'pass' ;
LOG        : 'log' ;
PRINT      : 'print' ;
PRIORITY   : 'priority' ;
GLOBAL     : 'global' ;
IMPORT     : 'import' ;
NONE       : 'None' ;
TRUE       : 'True' ;
FALSE      : 'False' ;

// ---------------------------------------------------------------- literals
// A long string may span lines. Both kinds may carry the natural-language
// description marker `...` in front (B.5), which the AST records as nld.
LONG_STRING
  : NLD_MARK? ( '"""' ( '\\' . | . )*? '"""'
              | '\'\'\'' ( '\\' . | . )*? '\'\'\'' )
  ;
STRING
  : NLD_MARK? ( '"' ( '\\' . | ~[\\"\r\n] )* '"'
              | '\'' ( '\\' . | ~[\\'\r\n] )* '\'' )
  ;
// A quote that never closes on its line. Shorter than STRING whenever the
// string does close, so it only wins on broken input; the token source turns
// it into a diagnostic.
OPEN_STRING
  : NLD_MARK? ( '"' ( '\\' . | ~[\\"\r\n] )*
              | '\'' ( '\\' . | ~[\\'\r\n] )* )
  ;

// Decimal numbers only: `_` between digits, no leading zeros (B.1).
FLOAT
  : DIGIT_PART '.' DIGIT_PART? EXPONENT?
  | '.' DIGIT_PART EXPONENT?
  | DIGIT_PART EXPONENT
  ;
INT
  : '0' ( '_'? '0' )*
  | [1-9] ( '_'? [0-9] )*
  ;

VAR_NAME : '$' NAME_START NAME_PART* ;
NAME     : NAME_START NAME_PART* ;

// ---------------------------------------------------------------- punctuation
ELLIPSIS  : '...' ;
ARROW     : '->' ;
LPAREN    : '(' ;
RPAREN    : ')' ;
LBRACK    : '[' ;
RBRACK    : ']' ;
LBRACE    : '{' ;
RBRACE    : '}' ;
COMMA     : ',' ;
COLON     : ':' ;
DOT       : '.' ;
AT        : '@' ;
PLUS_EQ   : '+=' ;
MINUS_EQ  : '-=' ;
EQ        : '==' ;
NE        : '!=' ;
NE_OLD    : '<>' ;
LE        : '<=' ;
GE        : '>=' ;
LSHIFT    : '<<' ;
RSHIFT    : '>>' ;
LT        : '<' ;
GT        : '>' ;
ASSIGN    : '=' ;
POW       : '**' ;
DSLASH    : '//' ;
STAR      : '*' ;
SLASH     : '/' ;
PERCENT   : '%' ;
PLUS      : '+' ;
MINUS     : '-' ;
TILDE     : '~' ;
PIPE      : '|' ;
CARET     : '^' ;
AMP       : '&' ;

// ---------------------------------------------------------------- layout
NEWLINE : '\r'? '\n' | '\r' ;
WS      : [ \t\f]+ ;
COMMENT : '#' ~[\r\n]* ;
// A backslash at the end of a line joins it with the next (as in Python).
LINE_JOIN : '\\' [ \t\f]* ( '\r'? '\n' | '\r' ) ;

// Anything else. Keeps the lexer from ever failing on its own; the token
// source reports it as "unexpected character".
ERROR_CHAR : . ;

// ---------------------------------------------------------------- fragments
fragment NLD_MARK   : '...' [ \t]* ;
fragment DIGIT_PART : [0-9] ( '_'? [0-9] )* ;
fragment EXPONENT   : [eE] [+-]? DIGIT_PART ;
// Python's identifiers: a letter or `_`, then letters, digits, marks, `_`.
fragment NAME_START : [\p{L}\p{Nl}_] ;
fragment NAME_PART  : [\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}] ;

// Colang 2.x parser (spec/colang.md B.2).
//
// Input: the token stream of colang/internal/indent_token_source.cc, where
// blank lines, comments and line breaks inside brackets are gone and every
// logical line ends in NEWLINE. Blocks are NEWLINE INDENT stmt+ DEDENT.
//
// Ambiguities are settled by alternative order (ANTLR picks the first
// alternative that matches): `$v = f(1)` is a function call (test) before it
// is a spec; `$v = f` is a spec because a bare name is no expression.
parser grammar ColangParser;

options { tokenVocab = ColangLexer; }

colangFile : stmt* EOF ;

stmt
  : flowDef
  | importStmt
  | docString
  | generateStmt
  | assignStmt
  | returnStmt
  | keywordStmt
  | exprStmt
  | labelStmt
  | globalStmt
  | ifStmt
  | whileStmt
  | whenStmt
  | specOpStmt
  ;

// ---------------------------------------------------------------- flows
flowDef
  : decorator* FLOW flowName flowParams? flowReturns? suite
  ;
decorator
  : AT nameWord ( LPAREN ( decoratorArg ( COMMA decoratorArg )* COMMA? )? RPAREN )? NEWLINE
  ;
decoratorArg : ( nameWord ASSIGN )? test ;
flowName
  : nameWord+
  | LPAREN nameWord+ RPAREN
  ;
flowParams
  : LPAREN ( paramDef ( COMMA paramDef )* COMMA? )? RPAREN
  | paramDef+
  ;
flowReturns : ARROW paramDef ( COMMA paramDef )* ;
paramDef : VAR_NAME ( ASSIGN test )? ;

suite : NEWLINE INDENT stmt+ DEDENT ;

// ---------------------------------------------------------------- simple statements
importStmt : IMPORT ( nameWord ( DOT nameWord )* | STRING ) NEWLINE ;
docString : LONG_STRING NEWLINE ;
generateStmt : GENERATE NEWLINE ;
assignStmt : VAR_NAME assignOp ( test | specOp ) NEWLINE ;
assignOp : ASSIGN | PLUS_EQ | MINUS_EQ ;
returnStmt : RETURN test? NEWLINE ;
keywordStmt
  : ( ABORT | BREAK | CONTINUE | PASS ) NEWLINE
  | ( LOG | PRINT | PRIORITY ) expr NEWLINE
  ;
exprStmt : LPAREN test RPAREN NEWLINE ;
labelStmt : NAME COLON NEWLINE ;
globalStmt : GLOBAL VAR_NAME NEWLINE ;
specOpStmt : specOp NEWLINE ;

// ---------------------------------------------------------------- compound statements
ifStmt : IF test COLON? suite elifClause* elseClause? ;
elifClause : ( ELIF | ELSE IF ) test COLON? suite ;
elseClause : ELSE COLON? suite ;
whileStmt : WHILE test COLON? suite ;
whenStmt : WHEN specExpr COLON? suite orWhenClause* elseClause? ;
orWhenClause : ( OR WHEN | ORWHEN ) specExpr COLON? suite ;

// ---------------------------------------------------------------- specs
// Without a keyword the operation is `await` and the first element may not
// be a `$reference` (that line would be an assignment or an error).
specOp
  : specKeyword specExpr
  | bareSpecExpr
  ;
specKeyword : MATCH | AWAIT | START | STOP | ACTIVATE | DEACTIVATE | SEND ;

// `and` binds tighter than `or` (D.16).
specExpr : specAnd ( OR specAnd )* ;
specAnd : specAtom ( AND specAtom )* ;
specAtom
  : LPAREN specExpr RPAREN
  | spec
  ;
bareSpecExpr : bareSpecAnd ( OR specAnd )* ;
bareSpecAnd : bareSpecAtom ( AND specAtom )* ;
bareSpecAtom
  : LPAREN specExpr RPAREN
  | namedSpec
  ;

spec
  : namedSpec
  | VAR_NAME member* capture?
  ;
// Members never follow simple arguments: the last argument would take the
// `.name` as an attribute (the reference's LALR parser shifts it too). Write
// `(bot say "x").Finished()`.
namedSpec
  : specName classicArgs? member* capture?
  | specName simpleArgs capture?
  | LPAREN specName specArgs? RPAREN member* capture?
  ;
specName : firstNameWord nameWord* ;
specArgs : classicArgs | simpleArgs ;
classicArgs : LPAREN ( argument ( COMMA argument )* COMMA? )? RPAREN ;
// `bot say "hi" $volume=2`. An argument after the first cannot start with
// `+`, `-` or `[`: those continue the previous argument (`"a" -1` is a
// subtraction, `$x [1]` a subscript), exactly as the reference's greedy
// parser reads them. Saying so in the grammar also keeps ANTLR's lookahead
// short on long argument lists.
simpleArgs : simpleArg nextSimpleArg* ;
simpleArg
  : VAR_NAME ASSIGN expr
  | expr
  ;
nextSimpleArg
  : VAR_NAME ASSIGN expr
  | nextArgExpr
  ;
argument
  : ( nameWord | VAR_NAME ) ASSIGN expr
  | expr
  ;
member : DOT nameWord classicArgs? ;
capture : AS VAR_NAME ;

// A word of a name. Keywords are soft: they count as words wherever a name
// is expected, except and/or/as/None/True/False, which never do (B.1).
nameWord
  : NAME | FLOW | IF | ELIF | ELSE | WHILE | WHEN | ORWHEN | MATCH | AWAIT | START | STOP
  | ACTIVATE | DEACTIVATE | SEND | NOT | IN | IS | RETURN | ABORT | BREAK | CONTINUE | PASS
  | LOG | PRINT | PRIORITY | GLOBAL | IMPORT
  ;
// The first word of a spec in a statement may not be a statement keyword.
firstNameWord : NAME | NOT | IN | IS ;

// ---------------------------------------------------------------- expressions
test : andTest ( OR andTest )* ;
andTest : notTest ( AND notTest )* ;
notTest
  : NOT notTest
  | comparison
  ;
comparison : expr ( compOp expr )* ;
compOp : LT | GT | EQ | GE | LE | NE_OLD | NE | IN | NOT IN | IS NOT | IS ;

// The binary operators of B.2 (| ^ & << >> + - * @ / % //) are parsed as a
// flat chain; the AST builder applies their precedence (all left
// associative). Fewer rule levels make parsing faster and keep the tree flat.
expr : factor ( binOp factor )* ;
binOp
  : PIPE | CARET | AMP | LSHIFT | RSHIFT | PLUS | MINUS
  | STAR | AT | SLASH | PERCENT | DSLASH
  ;
factor
  : ( PLUS | MINUS | TILDE ) factor
  | power
  ;
power : atomExpr ( POW factor )? ;

// Function calls only on bare names; trailers apply to anything. `( test )`
// is Colang 1.0 only (Python expressions); the AST builder rejects it in 2.x
// expressions, as the reference's grammar has no parenthesised terms.
atomExpr : primary trailer* ;
primary
  : listExpr
  | nonListPrimary
  ;
nonListPrimary
  : callName LPAREN arguments? RPAREN                                 # callExpr
  | LBRACE ( dictItem ( COMMA dictItem )* COMMA? )? RBRACE            # dictExpr
  | LBRACE atomExpr ( COMMA atomExpr )* COMMA? RBRACE                 # setExpr
  | LPAREN test RPAREN                                                # parenExpr
  | atom                                                              # atomOnly
  ;
listExpr : LBRACK ( atomExpr ( COMMA atomExpr )* COMMA? )? RBRACK ;
trailer
  : LBRACK subscript RBRACK                                           # indexTrailer
  | DOT nameWord LPAREN arguments? RPAREN                             # methodTrailer
  | DOT nameWord                                                      # attrTrailer
  ;

// An expression that cannot start with `+`, `-` or `[` (see simpleArgs).
nextArgExpr : nextArgFactor ( binOp factor )* ;
nextArgFactor
  : TILDE factor
  | nonListPrimary trailer* ( POW factor )?
  ;

callName : NAME | FLOW ;
arguments : argument ( COMMA argument )* COMMA? ;
subscript
  : test
  | test? COLON test? ( COLON test? )?
  ;
dictItem
  : test COLON test
  | POW expr
  ;
atom : VAR_NAME | INT | FLOAT | STRING | LONG_STRING | NONE | TRUE | FALSE ;

// The entry point of parse_expression().
singleTest : test EOF ;

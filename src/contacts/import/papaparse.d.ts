// The part of papaparse's API that read-table.ts uses. Declared here rather than taken from
// @types/papaparse, which pulls in @types/node and with it Node's typings over Deno's own.
export interface ParseError {
  code: string;
  message: string;
  index?: number;
}

export interface ParseStepResult<T> {
  data: T;
  errors: ParseError[];
  /** `cursor`: where in the input the parser stands, past this row (and its line break). */
  meta: { cursor: number };
}

export interface Parser {
  abort(): void;
}

export interface ParseConfig<T> {
  delimiter?: string;
  delimitersToGuess?: string[];
  skipEmptyLines?: boolean | "greedy";
  step?: (results: ParseStepResult<T>, parser: Parser) => void;
}

declare const Papa: {
  parse<T>(input: string, config: ParseConfig<T>): void;
};

export default Papa;

/**
 * Bearer tokens are HS256 JWTs (jose) naming a user; roles and department are read from the
 * database on each request so that a revoked role takes effect at once.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { jwtVerify, SignJWT } from 'jose';
import type { Db } from '../lib/db';
import type { Role } from '../generated/prisma/client';
import { AppError } from './errors';

export interface Principal {
  userId: string;
  login: string;
  displayName: string;
  email: string;
  accountType: 'STAFF' | 'PUBLIC';
  roles: Role[];
  departmentId: string | null;
  departmentKind: string | null;
  publicApplicantId: string | null;
}

declare module 'express-serve-static-core' {
  interface Request {
    principal?: Principal;
  }
}

const ISSUER = 'gov-data-approval';

export class TokenService {
  private readonly key: Uint8Array;

  constructor(
    secret: string,
    private readonly ttl: string,
  ) {
    this.key = new TextEncoder().encode(secret);
  }

  issue(userId: string): Promise<string> {
    return new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(userId)
      .setIssuer(ISSUER)
      .setIssuedAt()
      .setExpirationTime(this.ttl)
      .sign(this.key);
  }

  async verify(token: string): Promise<string> {
    const { payload } = await jwtVerify(token, this.key, { issuer: ISSUER, algorithms: ['HS256'] });
    if (!payload.sub) throw new Error('token has no subject');
    return payload.sub;
  }
}

export async function loadPrincipal(db: Db, userId: string): Promise<Principal | null> {
  const user = await db.user.findUnique({ where: { id: userId }, include: { department: true } });
  if (!user || !user.active) return null;
  return {
    userId: user.id,
    login: user.login,
    displayName: user.displayName,
    email: user.email,
    accountType: user.accountType,
    roles: user.roles,
    departmentId: user.departmentId,
    departmentKind: user.department?.kind ?? null,
    publicApplicantId: user.publicApplicantId,
  };
}

/** Attaches req.principal when a valid bearer token is present; rejects a malformed one. */
export function authenticate(db: Db, tokens: TokenService): RequestHandler {
  return async (req: Request, _res: Response, next: NextFunction) => {
    const header = req.headers.authorization;
    if (!header) return next();
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) return next(new AppError('INVALID_TOKEN', 'Authorization header must be "Bearer <token>"'));
    let userId: string;
    try {
      userId = await tokens.verify(match[1]);
    } catch {
      return next(new AppError('INVALID_TOKEN', 'Bearer token is invalid or expired'));
    }
    const principal = await loadPrincipal(db, userId);
    if (!principal) return next(new AppError('INVALID_TOKEN', 'Bearer token names an unknown or inactive user'));
    req.principal = principal;
    next();
  };
}

export function requirePrincipal(req: Request): Principal {
  if (!req.principal) throw new AppError('UNAUTHENTICATED', 'Sign in first: send "Authorization: Bearer <token>"');
  return req.principal;
}

export function requireRole(req: Request, ...roles: Role[]): Principal {
  const p = requirePrincipal(req);
  if (!roles.some((r) => p.roles.includes(r))) {
    throw new AppError('FORBIDDEN', `This action needs one of the roles: ${roles.join(', ')}`);
  }
  return p;
}

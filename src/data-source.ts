import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadDatabaseUrl } from './config/database-url';
import { dataSourceOptions } from './database/data-source-options';
import { ENTITIES } from './entities';

/** Used by the TypeORM CLI (migration:run, migration:generate). */
export default new DataSource(dataSourceOptions(loadDatabaseUrl(process.env), ENTITIES));
